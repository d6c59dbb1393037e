// 痕迹管理: every entry of a 督办事项 with who and when, oldest first.

import { Link } from "react-router";

import type { DubanItem, PhotoRef } from "../generated/records";
import { BeforeAfter, PhotoStrip } from "../photos";
import { factsOf, progressAfterClosing } from "../domain/derived";
import { text, val } from "../domain/scalar";
import { isoDate, isoDateTime } from "../domain/time";
import { enumLabel, useT, type Translate } from "../i18n";
import { useDirectory } from "../app/context";
import { personName, type DirectoryData } from "../sync/directory";

interface Event {
  key: string;
  at: number;
  by: string;
  what: string;
  body: string;
  late?: boolean;
  photos?: PhotoRef[];
  /** 整改前 / 整改后 of a site check. */
  pairs?: { before: PhotoRef[]; after: PhotoRef[] };
  /** An urge's id: its 催办通知单 can be printed. */
  urge?: string;
}

function events(item: DubanItem, t: Translate, dir: DirectoryData, late: ReadonlySet<string>): Event[] {
  const list: Event[] = [
    { key: "created", at: item.created_at, by: text(item.created_by), what: t("tl.created"), body: "" },
  ];
  if (item.assigned_at) list.push({ key: "assigned", at: item.assigned_at, by: "", what: t("tl.assigned"), body: "" });
  for (const p of item.progress ?? []) {
    const percent = p.percent === null || p.percent === undefined ? "" : ` (${p.percent}%)`;
    const problems = val(p.problems);
    list.push({
      key: `p-${text(p.id)}`,
      at: p.at,
      by: text(p.by),
      what: t("tl.progress") + percent,
      body: text(p.text) + (problems ? `\n${t("field.problems")}：${problems}` : ""),
      late: late.has(text(p.id)),
      photos: p.photos ?? [],
    });
  }
  for (const u of item.urges ?? []) {
    list.push({ key: `u-${text(u.id)}`, at: u.at, by: text(u.by), what: enumLabel(t, "urge", text(u.level)), body: text(u.message), urge: text(u.id) });
  }
  for (const x of item.extension_requests ?? []) {
    list.push({
      key: `x-${text(x.id)}`,
      at: x.at,
      by: text(x.by),
      what: t("tl.extension", { date: isoDate(x.new_deadline) }),
      body: text(x.reason),
    });
    if (x.decision) {
      list.push({
        key: `xd-${text(x.id)}`,
        at: x.decision.at,
        by: text(x.decision.by),
        what: enumLabel(t, "xverdict", text(x.decision.verdict)),
        body: val(x.decision.comment) ?? "",
      });
    }
  }
  for (const r of item.reviews ?? []) {
    list.push({ key: `r-${text(r.id)}`, at: r.at, by: text(r.by), what: enumLabel(t, "verdict", text(r.verdict)), body: text(r.opinion) });
  }
  for (const i of item.instructions ?? []) {
    list.push({ key: `i-${text(i.id)}`, at: i.at, by: text(i.by), what: t("tl.instruction"), body: text(i.text) });
  }
  for (const s of item.site_checks ?? []) {
    list.push({ key: `s-${text(s.id)}`, at: s.at, by: text(s.by), what: t("tl.site_check", { place: text(s.place) }), body: text(s.findings), pairs: { before: s.before_photos ?? [], after: s.after_photos ?? [] } });
  }
  if (item.evaluation) {
    const e = item.evaluation;
    list.push({
      key: "evaluation",
      at: e.at,
      by: text(e.by),
      what: t("tl.evaluation", { score: e.score, rating: enumLabel(t, "rating", text(e.rating)) }),
      body: text(e.comment),
    });
  }
  list.sort((a, b) => a.at - b.at);
  return list.map((e) => ({ ...e, by: e.by ? personName(dir, e.by) : "" }));
}

/**
 * The timeline of `item`; `late` names the progress entries to mark 办结后补报 (by default the
 * phone's own computation).
 */
export function Timeline({ item, late, recordId }: { item: DubanItem; late?: ReadonlySet<string>; recordId?: string }) {
  const t = useT();
  const dir = useDirectory();
  const marks = late ?? new Set(progressAfterClosing(factsOf(item)));
  return (
    <ol className="timeline" data-testid="timeline">
      {events(item, t, dir, marks).map((e) => (
        <li key={e.key} className={`timeline-entry${e.late ? " late" : ""}`} data-testid="timeline-entry" data-late={e.late ? "true" : undefined}>
          <div className="tl-head">
            <b>{e.what}</b>
            {e.late ? <span className="late-tag">{t("tl.late")}</span> : null}
          </div>
          <div className="tl-meta">
            {e.by ? `${e.by} · ` : ""}
            <time dateTime={new Date(e.at).toISOString()}>{isoDateTime(e.at)}</time>
          </div>
          {e.body ? <p className="tl-body">{e.body}</p> : null}
          {e.photos ? <PhotoStrip photos={e.photos} /> : null}
          {e.pairs ? <BeforeAfter before={e.pairs.before} after={e.pairs.after} /> : null}
          {e.urge && recordId ? (
            <Link className="tl-paper" data-testid="urge-paper" to={`/items/${encodeURIComponent(recordId)}/urges/${encodeURIComponent(e.urge)}/print`}>
              {t("paper.notice")} ›
            </Link>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
