// The documents' heading (红头: the issuing body's name), as the server prints it on its Word
// documents. Kept in localStorage so the print view shows it offline; refreshed when online.

import { useEffect, useState } from "react";

import { apiGet, apiResponse } from "../auth/api";
import type { DocumentSettings } from "../generated/api";

const KEY = "duyan.doc_issuer";
/** The server's default (documents::settings::DEFAULT_ISSUER). */
export const DEFAULT_ISSUER = "办公室";
/** The longest heading the server takes. */
export const MAX_ISSUER_CHARS = 40;

function cached(): string {
  try {
    return localStorage.getItem(KEY) ?? DEFAULT_ISSUER;
  } catch {
    return DEFAULT_ISSUER;
  }
}

function remember(issuer: string): void {
  try {
    localStorage.setItem(KEY, issuer);
  } catch {
    // Private mode: the heading is asked for again next time.
  }
}

/** The heading: the cached one at once, the server's once it answers. */
export function useIssuer(): string {
  const [issuer, setIssuer] = useState(cached);
  useEffect(() => {
    let live = true;
    apiGet<DocumentSettings>("/api/settings/documents").then(
      (answer) => {
        if (typeof answer.issuer !== "string") return;
        remember(answer.issuer);
        if (live) setIssuer(answer.issuer);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return issuer;
}

/** Sets the heading (admins); the server's trimmed value is returned and cached. */
export async function saveIssuer(issuer: string): Promise<string> {
  const response = await apiResponse("/api/settings/documents", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ issuer }),
  });
  const saved = ((await response.json()) as DocumentSettings).issuer;
  remember(saved);
  return saved;
}
