// 痕迹管理: every step of a 督办事项 with who and when, oldest first (see timelineEvents).

import { useMemo } from "react";
import { getActorId, type Doc } from "@automerge/automerge/slim";
import { Button } from "antd-mobile";
import { Link } from "react-router";

import type { DubanItem } from "../generated/records";
import { AttachmentList, BeforeAfter, PhotoStrip } from "../photos";
import { factsOf, progressAfterClosing } from "../domain/derived";
import { statusSteps } from "../domain/steps";
import { isoDateTime } from "../domain/time";
import { useT } from "../i18n";
import { useDirectory } from "../app/context";
import { personName } from "../sync/directory";
import { actorUsers, type RecordHistory } from "../sync/history";
import { timelineEvents } from "./timelineEvents";

interface Props {
  item: DubanItem;
  /** Withdraws the entry `id` of `list`, if the person may (see `mayWithdraw`). */
  withdraw?: { may: (list: string, by: string) => boolean; run: (list: string, id: string, reason: string) => void };
  /** Progress entries to mark 办结后补报 (by default the phone's own computation). */
  late?: ReadonlySet<string>;
  recordId?: string;
  /** The server's history as last seen: it names the author of each status step. */
  history?: RecordHistory | null;
  me?: string;
}

export function Timeline({ item, late, recordId, history, me, withdraw }: Props) {
  const t = useT();
  const dir = useDirectory();
  const marks = late ?? new Set(progressAfterClosing(factsOf(item)));
  const steps = useMemo(() => statusSteps(item as Doc<unknown>), [item]);
  const users = useMemo(() => actorUsers(history), [history]);
  const ownActor = useMemo(() => {
    try {
      return getActorId(item as Doc<unknown>);
    } catch {
      return undefined;
    }
  }, [item]);
  const events = timelineEvents(item, t, marks, { steps, users, ownActor, me });
  return (
    <ol className="timeline" data-testid="timeline">
      {events.map((e) => (
        <li key={e.key} className={`timeline-entry${e.late ? " late" : ""}${e.withdrawn ? " withdrawn" : ""}`} data-testid="timeline-entry" data-late={e.late ? "true" : undefined} data-withdrawn={e.withdrawn ? "true" : undefined} data-status={e.status}>
          <div className="tl-head">
            <b>{e.what}</b>
            {e.late ? <span className="late-tag">{t("tl.late")}</span> : null}
            {e.withdrawn ? <span className="withdrawn-tag">{t("tl.withdrawn")}</span> : null}
          </div>
          <div className="tl-meta">
            {e.by ? `${personName(dir, e.by)} · ` : ""}
            <time dateTime={new Date(e.at).toISOString()}>{isoDateTime(e.at)}</time>
          </div>
          {e.body ? <p className="tl-body">{e.body}</p> : null}
          {e.withdrawn ? (
            <p className="tl-withdrawn" data-testid="withdrawn-note">
              {t("tl.withdrawn_by", { name: personName(dir, e.withdrawn.by), at: isoDateTime(e.withdrawn.at) })}
              {e.withdrawn.reason ? `：${e.withdrawn.reason}` : ""}
            </p>
          ) : e.entry && withdraw?.may(e.entry.list, e.by) ? (
            <Button
              size="mini"
              fill="none"
              data-testid="entry-withdraw"
              onClick={() => {
                const entry = e.entry!;
                const reason = window.prompt(t("tl.withdraw_confirm"), "");
                if (reason !== null) withdraw.run(entry.list, entry.id, reason.trim());
              }}
            >
              {t("tl.withdraw")}
            </Button>
          ) : null}
          {e.photos ? <PhotoStrip photos={e.photos} /> : null}
          {e.pairs ? <BeforeAfter before={e.pairs.before} after={e.pairs.after} /> : null}
          {e.attachments ? <AttachmentList attachments={e.attachments} /> : null}
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
