// 阶段节点: the planned steps of a 督办事项, each with a due day; a supervisor adds them and
// marks them done. Used by the new item form (a list in the form's state) and the detail view
// (changes to the document), so both look and check alike. A step past its day and not done
// turns the item's light yellow (see domain/derived.ts).

import { useState, type SyntheticEvent } from "react";
import { Button } from "antd-mobile";

import { checkMilestone, MILESTONE_TITLE_MAX, todayIso } from "../domain/dubanFields";
import { endOfDayFromIso, isoDate } from "../domain/time";
import { useT, type MessageKey } from "../i18n";

export interface PlainMilestone {
  id: string;
  title: string;
  due: number;
  done_at: number | null;
}

interface Props {
  milestones: readonly PlainMilestone[];
  /** Whether this person may add steps and mark them done. */
  editable: boolean;
  deadline: number | null;
  now: number;
  onAdd: (title: string, due: number) => void;
  onDone?: (id: string, done: boolean) => void;
  onRemove?: (id: string) => void;
  /** Show the form to add a step only after a tap (the detail view; the new form shows it). */
  addOnDemand?: boolean;
}

export function Milestones({ milestones, editable, deadline, now, onAdd, onDone, onRemove, addOnDemand = false }: Props) {
  const t = useT();
  const [adding, setAdding] = useState(!addOnDemand);
  const [title, setTitle] = useState("");
  const [date, setDate] = useState("");
  const [error, setError] = useState<MessageKey | null>(null);
  const sorted = [...milestones].sort((a, b) => a.due - b.due);

  const add = (event: SyntheticEvent) => {
    event.preventDefault();
    const problem = checkMilestone(title, date, todayIso(now), deadline);
    setError(problem);
    const due = endOfDayFromIso(date);
    if (problem || due === null) return;
    onAdd(title.trim(), due);
    setTitle("");
    setDate("");
  };

  return (
    <div className="milestones" data-testid="milestones">
      {sorted.length === 0 ? <p className="hint">{t("milestone.none")}</p> : null}
      <ul className="milestone-list">
        {sorted.map((m) => {
          const late = m.done_at === null && now > m.due;
          return (
            <li key={m.id} className={`milestone${m.done_at !== null ? " done" : ""}${late ? " late" : ""}`} data-testid="milestone" data-done={m.done_at !== null ? "true" : "false"}>
              <div className="milestone-text">
                <span className="milestone-title">{m.title}</span>
                <span className="hint">
                  {t("milestone.due", { date: isoDate(m.due) })}
                  {m.done_at !== null ? ` · ${t("milestone.done_on", { date: isoDate(m.done_at) })}` : late ? ` · ${t("milestone.late")}` : ""}
                </span>
              </div>
              {editable && onDone ? (
                <Button size="mini" fill="outline" color={m.done_at === null ? "primary" : "default"} data-testid="milestone-done" onClick={() => onDone(m.id, m.done_at === null)}>
                  {m.done_at === null ? t("milestone.mark_done") : t("milestone.undo")}
                </Button>
              ) : null}
              {editable && onRemove ? (
                <Button size="mini" fill="none" data-testid="milestone-remove" onClick={() => onRemove(m.id)}>
                  {t("milestone.remove")}
                </Button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {editable && !adding ? (
        <Button size="small" className="milestone-open" data-testid="milestone-open" onClick={() => setAdding(true)}>
          {t("milestone.add")}
        </Button>
      ) : null}
      {editable && adding ? (
        <div className="milestone-add" role="group" aria-label={t("milestone.add")}>
          <input
            className="field"
            data-testid="milestone-title"
            placeholder={t("milestone.title")}
            maxLength={MILESTONE_TITLE_MAX + 50}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            // Inside the new item form, Enter would submit the whole item: here it adds the step.
            onKeyDown={(e) => {
              if (e.key === "Enter") add(e);
            }}
          />
          <div className="filter-row">
            <input className="field" type="date" data-testid="milestone-due" aria-label={t("milestone.due_label")} min={todayIso(now)} value={date} onChange={(e) => setDate(e.target.value)} />
            <Button size="small" data-testid="milestone-add" onClick={add}>
              {t("milestone.add")}
            </Button>
          </div>
          {error ? (
            <span className="error" role="alert" data-testid="error-milestone">
              {t(error)}
            </span>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
