// The pieces the papers share: the red heading, the table of a matter, photos two to a row,
// signature blocks and the issuing line. The papers are always in Chinese, as filed.

import type { ReactNode } from "react";

import type { AttachmentRef, PhotoRef } from "../generated/records";
import { text } from "../domain/scalar";
import { localParts } from "../domain/time";
import { translate, type MessageKey, type Translate } from "../i18n";
import { useThumbnail, usePhotoQueue } from "../photos/hooks";

/** The papers' words: Chinese whatever language the app is in. */
export const zhT: Translate = (key: MessageKey, vars) => translate("zh-CN", key, vars);

/** `2026年12月5日` in Asia/Shanghai, as the server prints it. */
/** A line `附件：a.pdf、b.docx` after an entry with files, as the Word documents name them; "" without. */
export function attachedLine(files: readonly AttachmentRef[] | null | undefined): string {
  return files?.length ? `\n附件：${files.map((f) => text(f.name)).join("、")}` : "";
}

export function cnDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const { y, m, d } = localParts(ms);
  return `${y}年${m}月${d}日`;
}

/** `2026年12月5日 14:30`. */
export function cnDateTime(ms: number): string {
  const { h, min } = localParts(ms);
  return `${cnDate(ms)} ${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
}

const DIGITS = "〇一二三四五六七八九";

/** 一 to 九十九, as sections are numbered. */
export function numeral(n: number): string {
  if (n < 10) return DIGITS[n] ?? String(n);
  if (n < 20) return `十${n === 10 ? "" : DIGITS[n - 10]}`;
  if (n < 100) return `${DIGITS[Math.floor(n / 10)]}十${n % 10 === 0 ? "" : DIGITS[n % 10]}`;
  return String(n);
}

export function Heading({ issuer, docNo }: { issuer: string; docNo?: string | null }) {
  return (
    <>
      <div className="issuer" data-testid="paper-issuer">{issuer}</div>
      <p className="doc-no">{docNo ?? ""}</p>
    </>
  );
}

export function FieldTable({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <table className="fields">
      <tbody>
        {rows.map(([label, value]) => (
          <tr key={label}>
            <td className="label">{label}</td>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Grid({ head, rows }: { head: string[]; rows: ReactNode[][] }) {
  return (
    <table>
      <thead>
        <tr>{head.map((h) => <th key={h}>{h}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>{row.map((cell, j) => <td key={j}>{cell}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

/** Paragraphs of a text, one per line; `fallback` when empty. */
export function Lines({ value, fallback }: { value: string; fallback: string }) {
  const lines = value.split("\n").map((l) => l.trim()).filter(Boolean);
  return <>{(lines.length ? lines : [fallback]).map((line, i) => <p key={i}>{line}</p>)}</>;
}

/** One photo from the phone or the server (its thumbnail: what the phone keeps offline). */
function PaperPhoto({ photo, caption }: { photo: PhotoRef; caption: string }) {
  const queue = usePhotoQueue();
  const picture = useThumbnail(queue, text(photo.sha256), text(photo.mime));
  return (
    <figure>
      {picture.kind === "url" ? (
        <img src={picture.url} alt={caption} data-testid="paper-photo" />
      ) : (
        <span className="no-photo">{picture.kind === "loading" ? "…" : "照片未在本机，联网后显示"}</span>
      )}
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

export function Photos({ photos }: { photos: { photo: PhotoRef; caption: string }[] }) {
  if (photos.length === 0) return null;
  return (
    <div className="photos">
      {photos.map(({ photo, caption }, i) => <PaperPhoto key={`${text(photo.sha256)}-${i}`} photo={photo} caption={caption} />)}
    </div>
  );
}

export function Signatures({ who }: { who: string[] }) {
  return (
    <div className="signatures">
      {who.map((w) => (
        <div key={w}>
          {w}（签字）：<br />
          <br />
          日期：&emsp;&emsp;年&emsp;月&emsp;日
        </div>
      ))}
    </div>
  );
}

export function Issued({ issuer, date }: { issuer: string; date: string }) {
  return (
    <div className="issued">
      <p>{issuer}</p>
      <p>{date}</p>
    </div>
  );
}
