// The 工作清单's structure in the detail view: the item this one hangs under (`parent`). Its
// owners (supervisors, FIELD_RULES) search the 督办事项 they may read on the server
// (`GET /api/records?type=duban&q=`) and pick one; the item itself and everything below it
// (found by walking `parent=` down from it) are never offered, so no cycle can be made. The
// server refuses an item as its own parent whatever the app does (`sync/review.rs`). Searching
// needs the network; clearing the parent does not.

import { useEffect, useState } from "react";

import { apiGet } from "../auth/api";
import type { ListItem, ListPage } from "../generated/api";
import { useT } from "../i18n";

/** How deep and how many descendants are looked for: a 工作清单 is a few levels of tens. */
const MAX_DEPTH = 6;
const MAX_DESCENDANTS = 1000;

/** `id` and every item below it, as the server lists children. */
export async function selfAndBelow(id: string): Promise<Set<string>> {
  const found = new Set([id]);
  let level = [id];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0 && found.size < MAX_DESCENDANTS; depth++) {
    const pages = await Promise.all(
      level.map((p) => apiGet<ListPage>(`/api/records?type=duban&parent=${encodeURIComponent(p)}&limit=200`)),
    );
    level = pages.flatMap((page) => page.items.map((row) => row.id)).filter((child) => !found.has(child));
    level.forEach((child) => found.add(child));
  }
  return found;
}

interface Props {
  itemId: string;
  /** The chosen parent's id, "" for none. */
  value: string;
  onChange: (id: string, title: string | null) => void;
  online: boolean;
}

/** A search box and the items it finds; the chosen one is marked. */
export function ParentPicker({ itemId, value, onChange, online }: Props) {
  const t = useT();
  const [query, setQuery] = useState("");
  const [rows, setRows] = useState<ListItem[]>([]);
  const [excluded, setExcluded] = useState<Set<string> | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (!online) return;
    let live = true;
    selfAndBelow(itemId).then(
      (set) => live && setExcluded(set),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [itemId, online]);

  useEffect(() => {
    if (!online) return;
    let live = true;
    const timer = setTimeout(() => {
      const q = encodeURIComponent(query.trim());
      apiGet<ListPage>(`/api/records?type=duban&limit=30${q ? `&q=${q}` : ""}`).then(
        (page) => live && setRows(page.items.filter((row) => !row.damaged)),
        () => live && setFailed(true),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query, online]);

  const offered = excluded ? rows.filter((row) => !excluded.has(row.id)) : [];
  return (
    <div className="checklist parent-picker" data-testid="parent-picker">
      <label className="check-option">
        <input type="radio" name="parent" checked={value === ""} onChange={() => onChange("", null)} data-testid="parent-none" />
        <span className="check-label">{t("parent.none")}</span>
      </label>
      {!online ? <p className="hint">{t("parent.offline")}</p> : null}
      {failed ? <p className="hint">{t("parent.failed")}</p> : null}
      {online ? (
        <input
          className="field"
          type="search"
          data-testid="parent-search"
          aria-label={t("parent.search")}
          placeholder={t("parent.search")}
          maxLength={100}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      ) : null}
      <div className="checklist-options">
      {offered.map((row) => (
        <label key={row.id} className="check-option" data-testid="parent-option" data-id={row.id}>
          <input type="radio" name="parent" checked={value === row.id} onChange={() => onChange(row.id, row.title)} />
          <span className="check-label">{row.title ?? t("common.untitled")}</span>
        </label>
      ))}
      </div>
    </div>
  );
}
