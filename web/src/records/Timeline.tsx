// 痕迹管理: every step of a 督办事项 with who and when, oldest first (see timelineEvents).

import { useMemo } from "react";
import { getActorId, type Doc } from "@automerge/automerge/slim";
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
  /** Progress entries to mark 办结后补报 (by default the phone's own computation). */
  late?: ReadonlySet<string>;
  recordId?: string;
  /** The server's history as last seen: it names the author of each status step. */
  history?: RecordHistory | null;
  me?: string;
}

export function Timeline({ item, late, recordId, history, me }: Props) {
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
        <li key={e.key} className={`timeline-entry${e.late ? " late" : ""}`} data-testid="timeline-entry" data-late={e.late ? "true" : undefined} data-status={e.status}>
          <div className="tl-head">
            <b>{e.what}</b>
            {e.late ? <span className="late-tag">{t("tl.late")}</span> : null}
          </div>
          <div className="tl-meta">
            {e.by ? `${personName(dir, e.by)} · ` : ""}
            <time dateTime={new Date(e.at).toISOString()}>{isoDateTime(e.at)}</time>
          </div>
          {e.body ? <p className="tl-body">{e.body}</p> : null}
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
