// The actions on a 督办事项, each present only when the rules allow it for this user's roles on
// this record in its status (see domain/permissions.ts). Every action is one Automerge change,
// made locally (works offline) and synced when possible.

import { useState } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button, Space } from "antd-mobile";

import type { DubanAction } from "../domain/permissions";
import {
  evaluation,
  extensionEntry,
  instructionEntry,
  progressEntry,
  reviewEntry,
  urgeEntry,
} from "../domain/factories";
import { str, text } from "../domain/scalar";
import { endOfDayFromIso, isoDate } from "../domain/time";
import { RATINGS, URGE_LEVELS, type DubanItem, type PhotoRef, type Rating, type UrgeLevel, type Verdict } from "../generated/records";
import { PhotoPicker } from "../photos";
import { enumLabel, useT, type MessageKey } from "../i18n";
import { useDirectory } from "../app/context";
import { personName } from "../sync/directory";

const TEXT_MAX = 2000;

type FormAction = "progress" | "urge" | "extension" | "request_close" | "review" | "evaluate" | "instruct" | "assign";

const BUTTONS: { action: DubanAction & FormAction; testid: string; label: MessageKey }[] = [
  { action: "urge", testid: "action-urge", label: "action.urge" },
  { action: "extension", testid: "action-extension", label: "action.extension" },
  { action: "request_close", testid: "action-request-close", label: "action.request_close" },
  { action: "review", testid: "action-review", label: "action.review" },
  { action: "evaluate", testid: "action-evaluate", label: "action.evaluate" },
  { action: "instruct", testid: "action-instruct", label: "action.instruct" },
  { action: "assign", testid: "action-assign", label: "action.assign" },
];

interface Props {
  handle: DocHandle<DubanItem>;
  item: DubanItem;
  actions: Set<DubanAction>;
  me: string;
}

export function DubanActions({ handle, item, actions, me }: Props) {
  const t = useT();
  const dir = useDirectory();
  const [open, setOpen] = useState<FormAction | null>(null);
  const [body, setBody] = useState("");
  const [level, setLevel] = useState<UrgeLevel>("urge");
  const [date, setDate] = useState("");
  const [score, setScore] = useState("90");
  const [rating, setRating] = useState<Rating>("good");
  const [percent, setPercent] = useState("");
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const [photosBusy, setPhotosBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);

  const start = (action: FormAction) => {
    setOpen(open === action ? null : action);
    setBody("");
    setPhotos([]);
    setError(null);
    setDate(action === "assign" && item.deadline ? isoDate(item.deadline) : "");
  };
  const done = () => {
    setOpen(null);
    setBody("");
    setPercent("");
    setPhotos([]);
    setError(null);
  };
  const change = (fn: (d: DubanItem) => void) => handle.change(fn);

  /** Checks the form of `open` and makes its change; returns an error key if it cannot. */
  const submit = (verdict?: Verdict): MessageKey | null => {
    const now = Date.now();
    const trimmed = body.trim();
    if (trimmed.length > TEXT_MAX) return "form.too_long";
    switch (open) {
      case "progress": {
        if (!trimmed) return "form.required";
        const p = percent === "" ? null : Number(percent);
        if (p !== null && !(Number.isInteger(p) && p >= 0 && p <= 100)) return "form.percent";
        // The photos' references go in with the entry at once (entries are never edited later);
        // their bytes wait on the phone and upload by themselves.
        change((d) => void d.progress.push({ ...progressEntry(me, now, trimmed, p, null), photos }));
        return null;
      }
      case "urge":
        if (!trimmed) return "form.required";
        change((d) => void d.urges.push(urgeEntry(me, now, level, trimmed)));
        return null;
      case "extension": {
        const wanted = endOfDayFromIso(date);
        if (wanted === null) return "form.bad_date";
        if (item.deadline && wanted <= item.deadline) return "form.after_deadline";
        if (!trimmed) return "form.required";
        change((d) => void d.extension_requests.push(extensionEntry(me, now, wanted, trimmed)));
        return null;
      }
      case "request_close":
        change((d) => {
          if (trimmed) d.progress.push(progressEntry(me, now, trimmed, 100, null));
          d.status = str("closing_requested");
        });
        return null;
      case "review":
        if (!trimmed) return "form.required";
        if (!verdict) return null;
        change((d) => {
          d.reviews.push(reviewEntry(me, now, verdict, trimmed));
          d.status = str(verdict === "pass" ? "closed" : "in_progress");
        });
        return null;
      case "evaluate": {
        const s = Number(score);
        if (!(Number.isInteger(s) && s >= 0 && s <= 100)) return "form.score";
        change((d) => {
          d.evaluation = evaluation(me, now, s, rating, trimmed);
          d.status = str("evaluated");
        });
        return null;
      }
      case "instruct":
        if (!trimmed) return "form.required";
        change((d) => void d.instructions.push(instructionEntry(me, now, trimmed)));
        return null;
      case "assign": {
        const deadline = date ? endOfDayFromIso(date) : null;
        if (deadline === null) return "form.required";
        if (!item.lead_unit) return "form.no_lead_unit";
        change((d) => {
          d.status = str("assigned");
          d.assigned_at = now;
          d.deadline = deadline;
        });
        return null;
      }
      case null:
        return null;
    }
  };

  const run = (verdict?: Verdict) => {
    const problem = submit(verdict);
    if (problem) setError(problem);
    else done();
  };

  const pending = (item.extension_requests ?? []).filter((x) => !x.decision);
  const decide = (id: string, approve: boolean) =>
    change((d) => {
      const request = d.extension_requests.find((x) => text(x.id) === id);
      if (!request) return;
      request.decision = { verdict: str(approve ? "approved" : "rejected"), at: Date.now(), by: str(me), comment: null };
      // 延期 is an approved change of the deadline, not a status.
      if (approve) d.deadline = request.new_deadline;
    });

  const needsText = open !== "evaluate" && open !== "assign";
  return (
    <section className="actions">
      <Space wrap>
        {actions.has("progress") ? (
          <Button size="small" color="primary" data-testid="progress-add" onClick={() => start("progress")}>
            {t("action.progress")}
          </Button>
        ) : null}
        {BUTTONS.filter((b) => actions.has(b.action)).map((b) => (
          <Button key={b.action} size="small" data-testid={b.testid} onClick={() => start(b.action)}>
            {t(b.label)}
          </Button>
        ))}
        {actions.has("accept") ? (
          <Button size="small" data-testid="action-accept" onClick={() => change((d) => void (d.status = str("in_progress")))}>
            {t("action.accept")}
          </Button>
        ) : null}
        {actions.has("suspend") ? (
          <Button size="small" fill="outline" data-testid="action-suspend" onClick={() => change((d) => void (d.status = str("suspended")))}>
            {t("action.suspend")}
          </Button>
        ) : null}
        {actions.has("resume") ? (
          <Button size="small" data-testid="action-resume" onClick={() => change((d) => void (d.status = str("in_progress")))}>
            {t("action.resume")}
          </Button>
        ) : null}
      </Space>

      {actions.has("decide_extension") && pending.length > 0 ? (
        <div className="pending-extensions">
          {pending.map((x) => (
            <div key={text(x.id)} className="pending-extension" data-testid="extension-pending">
              {t("extension.pending", { who: personName(dir, text(x.by)), date: isoDate(x.new_deadline) })}：{text(x.reason)}
              <Space>
                {actions.has("approve_extension") ? (
                  <Button size="mini" color="primary" data-testid="extension-approve" onClick={() => decide(text(x.id), true)}>
                    {t("extension.approve")}
                  </Button>
                ) : null}
                <Button size="mini" data-testid="extension-reject" onClick={() => decide(text(x.id), false)}>
                  {t("extension.reject")}
                </Button>
              </Space>
            </div>
          ))}
        </div>
      ) : null}

      {open ? (
        <form
          className="action-form"
          data-testid={`form-${open}`}
          onSubmit={(e) => {
            e.preventDefault();
            // Photos still being processed are not in the entry yet: wait for them.
            if (open !== "review" && !(open === "progress" && photosBusy)) run();
          }}
          noValidate
        >
          {open === "urge" ? (
            <select className="field" data-testid="action-level" value={level} onChange={(e) => setLevel(e.target.value as UrgeLevel)}>
              {URGE_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {enumLabel(t, "urge", l)}
                </option>
              ))}
            </select>
          ) : null}
          {open === "extension" || open === "assign" ? (
            <label className="field-label">
              {open === "extension" ? t("field.new_deadline") : t("field.deadline")}
              <input className="field" type="date" data-testid={open === "extension" ? "extension-date" : "assign-deadline"} value={date} onChange={(e) => setDate(e.target.value)} />
            </label>
          ) : null}
          {open === "progress" ? (
            <input className="field" type="number" inputMode="numeric" min={0} max={100} data-testid="progress-percent" placeholder={t("field.percent")} value={percent} onChange={(e) => setPercent(e.target.value)} />
          ) : null}
          {open === "evaluate" ? (
            <div className="filter-row">
              <input className="field" type="number" inputMode="numeric" min={0} max={100} data-testid="evaluate-score" aria-label={t("field.score")} value={score} onChange={(e) => setScore(e.target.value)} />
              <select className="field" data-testid="evaluate-rating" value={rating} onChange={(e) => setRating(e.target.value as Rating)}>
                {RATINGS.map((r) => (
                  <option key={r} value={r}>
                    {enumLabel(t, "rating", r)}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {open !== "assign" ? (
            <textarea
              className="field textarea"
              rows={3}
              data-testid={open === "progress" ? "progress-text" : "action-text"}
              placeholder={t(needsText ? (`placeholder.${open}` as MessageKey) : "placeholder.comment")}
              value={body}
              onChange={(e) => setBody(e.target.value)}
            />
          ) : null}
          {open === "progress" ? <PhotoPicker value={photos} onChange={setPhotos} onBusy={setPhotosBusy} /> : null}
          {error ? (
            <p className="error" role="alert" data-testid="action-error">
              {t(error)}
            </p>
          ) : null}
          <Space>
            {open === "review" ? (
              <>
                <Button size="small" color="success" data-testid="review-pass" onClick={() => run("pass")}>
                  {t("review.pass")}
                </Button>
                <Button size="small" color="warning" data-testid="review-return" onClick={() => run("return")}>
                  {t("review.return")}
                </Button>
              </>
            ) : (
              <Button size="small" color="primary" type="submit" disabled={open === "progress" && photosBusy} data-testid={open === "progress" ? "progress-submit" : "action-submit"}>
                {t("common.submit")}
              </Button>
            )}
            <Button size="small" fill="none" data-testid="action-cancel" onClick={done}>
              {t("common.cancel")}
            </Button>
          </Space>
        </form>
      ) : null}
    </section>
  );
}
