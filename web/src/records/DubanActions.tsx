// The actions on a 督办事项, each present when the rules allow it for this user's roles on this
// record in its status (see domain/permissions.ts); one the person would look for but cannot
// take now is shown disabled with the reason (domain/workflow.ts). Status moves ask first, and
// 中止 asks for its reason, kept as the change's message (the timeline shows it). Every action
// is one Automerge change, made locally (works offline) and synced when possible.

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
import { str } from "../domain/scalar";
import { endOfDayFromIso, isoDate } from "../domain/time";
import type { AssignField, Why } from "../domain/workflow";
import { RATINGS, URGE_LEVELS, type AttachmentRef, type DubanItem, type DubanStatus, type PhotoRef, type Rating, type UrgeLevel, type Verdict } from "../generated/records";
import { AttachmentPicker, PhotoPicker } from "../photos";
import { enumLabel, useT, type MessageKey } from "../i18n";
import { confirmMove } from "./confirm";
import { ExtensionDecisions } from "./ExtensionDecisions";

const TEXT_MAX = 2000;

type FormAction = "progress" | "urge" | "extension" | "request_close" | "review" | "evaluate" | "instruct" | "assign" | "suspend";

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
  /** Actions not available now, with why. */
  why: Map<DubanAction, Why>;
  /** What 交办 still lacks. */
  missing: AssignField[];
  /** Where 恢复办理 returns the item: the status it was suspended from. */
  resumeTo: DubanStatus;
}

/** A plan for the open form: a problem to show, or what to confirm and then change. */
type Plan = { error: MessageKey } | { confirm: string | null; apply: () => void } | null;

export function DubanActions({ handle, item, actions, me, why, missing, resumeTo }: Props) {
  const t = useT();
  const [open, setOpen] = useState<FormAction | null>(null);
  const [body, setBody] = useState("");
  const [level, setLevel] = useState<UrgeLevel>("urge");
  const [date, setDate] = useState("");
  const [score, setScore] = useState("90");
  const [rating, setRating] = useState<Rating>("good");
  const [percent, setPercent] = useState("");
  const [photos, setPhotos] = useState<PhotoRef[]>([]);
  const [photosBusy, setPhotosBusy] = useState(false);
  // Files that are not photos, on progress (and the closing request's note) and 批示.
  const [files, setFiles] = useState<AttachmentRef[]>([]);
  const [filesBusy, setFilesBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);

  const start = (action: FormAction) => {
    setOpen(open === action ? null : action);
    setBody("");
    setPhotos([]);
    setFiles([]);
    setError(null);
    setDate(action === "assign" && item.deadline ? isoDate(item.deadline) : "");
  };
  const done = () => {
    setOpen(null);
    setBody("");
    setPercent("");
    setPhotos([]);
    setFiles([]);
    setError(null);
  };
  const change = (fn: (d: DubanItem) => void) => handle.change(fn);

  /** Checks the form of `open`; says what to confirm and what change to make. */
  const plan = (verdict?: Verdict): Plan => {
    const now = Date.now();
    const trimmed = body.trim();
    const go = (confirm: string | null, apply: () => void): Plan => ({ confirm, apply });
    if (trimmed.length > TEXT_MAX) return { error: "form.too_long" };
    switch (open) {
      case "progress": {
        if (!trimmed) return { error: "form.required" };
        const p = percent === "" ? null : Number(percent);
        if (p !== null && !(Number.isInteger(p) && p >= 0 && p <= 100)) return { error: "form.percent" };
        // The photos' references go in with the entry at once (entries are never edited later);
        // their bytes wait on the phone and upload by themselves.
        return go(null, () => change((d) => void d.progress.push({ ...progressEntry(me, now, trimmed, p, null), photos, attachments: files })));
      }
      case "urge":
        if (!trimmed) return { error: "form.required" };
        return go(null, () => change((d) => void d.urges.push(urgeEntry(me, now, level, trimmed))));
      case "extension": {
        const wanted = endOfDayFromIso(date);
        if (wanted === null) return { error: "form.bad_date" };
        if (item.deadline && wanted <= item.deadline) return { error: "form.after_deadline" };
        if (!trimmed) return { error: "form.required" };
        return go(null, () => change((d) => void d.extension_requests.push(extensionEntry(me, now, wanted, trimmed))));
      }
      case "request_close":
        return go(t("confirm.request_close"), () =>
          change((d) => {
            // The note (and the files: 整改报告) go in a progress entry of the same change.
            if (trimmed || files.length > 0) d.progress.push({ ...progressEntry(me, now, trimmed, 100, null), attachments: files });
            d.status = str("closing_requested");
          }),
        );
      case "review":
        // 退回重办 needs its reason: the opinion the handler is told.
        if (!trimmed) return { error: verdict === "return" ? "reason.required" : "form.required" };
        if (!verdict) return null;
        return go(t(verdict === "pass" ? "confirm.pass" : "confirm.return"), () =>
          change((d) => {
            d.reviews.push(reviewEntry(me, now, verdict, trimmed));
            d.status = str(verdict === "pass" ? "closed" : "in_progress");
          }),
        );
      case "evaluate": {
        const s = Number(score);
        if (!(Number.isInteger(s) && s >= 0 && s <= 100)) return { error: "form.score" };
        return go(t("confirm.evaluate"), () =>
          change((d) => {
            d.evaluation = evaluation(me, now, s, rating, trimmed);
            d.status = str("evaluated");
          }),
        );
      }
      case "instruct":
        if (!trimmed) return { error: "form.required" };
        return go(null, () => change((d) => void d.instructions.push({ ...instructionEntry(me, now, trimmed), attachments: files })));
      case "assign": {
        const deadline = date ? endOfDayFromIso(date) : null;
        if (deadline === null) return { error: "form.required" };
        if (missing.length > 0) return { error: "form.no_lead_unit" };
        return go(t("confirm.assign"), () =>
          change((d) => {
            d.status = str("assigned");
            d.assigned_at = now;
            d.deadline = deadline;
          }),
        );
      }
      case "suspend":
        if (!trimmed) return { error: "reason.required" };
        // The reason is the change's message: the timeline shows it with the step.
        return go(t("confirm.suspend"), () => handle.change((d) => void (d.status = str("suspended")), { message: trimmed }));
      case null:
        return null;
    }
  };

  const run = async (verdict?: Verdict) => {
    const next = plan(verdict);
    if (!next) return;
    if ("error" in next) return setError(next.error);
    if (next.confirm && !(await confirmMove(t, next.confirm))) return;
    next.apply();
    done();
  };

  /** A move without a form: confirmed, then made. */
  const move = async (question: string, to: DubanStatus) => {
    if (await confirmMove(t, question)) change((d) => void (d.status = str(to)));
  };

  const needsText = open !== "evaluate" && open !== "assign";
  const missingNames = missing.map((f) => t(`field.${f}` as MessageKey)).join("、");
  const whyOf = (action: DubanAction): string | null => {
    if (action === "assign" && missing.length > 0) return t("why.assign_missing", { missing: missingNames });
    const reason = why.get(action);
    return reason ? t(reason.key, reason.vars) : null;
  };
  const reasons = BUTTONS.map((b) => b.action)
    .map((action) => ({ action, text: actions.has(action) || why.has(action) ? whyOf(action) : null }))
    .filter((r): r is { action: (typeof BUTTONS)[number]["action"]; text: string } => r.text !== null);
  return (
    <section className="actions">
      <Space wrap>
        {actions.has("progress") ? (
          <Button size="small" color="primary" data-testid="progress-add" onClick={() => start("progress")}>
            {t("action.progress")}
          </Button>
        ) : null}
        {BUTTONS.filter((b) => actions.has(b.action) || why.has(b.action)).map((b) => (
          <Button key={b.action} size="small" data-testid={b.testid} disabled={whyOf(b.action) !== null} onClick={() => start(b.action)}>
            {t(b.label)}
          </Button>
        ))}
        {actions.has("accept") ? (
          <Button size="small" data-testid="action-accept" onClick={() => void move(t("confirm.accept"), "in_progress")}>
            {t("action.accept")}
          </Button>
        ) : null}
        {actions.has("suspend") ? (
          <Button size="small" fill="outline" data-testid="action-suspend" onClick={() => start("suspend")}>
            {t("action.suspend")}
          </Button>
        ) : null}
        {actions.has("resume") ? (
          <Button
            size="small"
            data-testid="action-resume"
            data-to={resumeTo}
            onClick={() => void move(t("confirm.resume", { status: enumLabel(t, "status", resumeTo) }), resumeTo)}
          >
            {t("action.resume")}
          </Button>
        ) : null}
      </Space>
      {reasons.map((r) => (
        <p key={r.action} className="hint action-why" data-testid={`why-${r.action}`}>
          {r.text}
        </p>
      ))}

      {actions.has("decide_extension") ? (
        <ExtensionDecisions handle={handle} item={item} me={me} mayApprove={actions.has("approve_extension")} />
      ) : null}

      {open ? (
        <form
          className="action-form"
          data-testid={`form-${open}`}
          onSubmit={(e) => {
            e.preventDefault();
            // Photos still being processed are not in the entry yet: wait for them.
            if (open !== "review" && !(open === "progress" && photosBusy) && !filesBusy) void run();
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
              placeholder={t(open === "suspend" ? "reason.suspend" : needsText ? (`placeholder.${open}` as MessageKey) : "placeholder.comment")}
              value={body}
              onChange={(e) => setBody(e.target.value)}
            />
          ) : null}
          {open === "progress" ? <PhotoPicker value={photos} onChange={setPhotos} onBusy={setPhotosBusy} /> : null}
          {open === "progress" || open === "request_close" || open === "instruct" ? <AttachmentPicker value={files} onChange={setFiles} onBusy={setFilesBusy} /> : null}
          {error ? (
            <p className="error" role="alert" data-testid="action-error">
              {t(error)}
            </p>
          ) : null}
          <Space>
            {open === "review" ? (
              <>
                <Button size="small" color="success" data-testid="review-pass" onClick={() => void run("pass")}>
                  {t("review.pass")}
                </Button>
                <Button size="small" color="warning" data-testid="review-return" onClick={() => void run("return")}>
                  {t("review.return")}
                </Button>
              </>
            ) : (
              <Button size="small" color="primary" type="submit" disabled={(open === "progress" && photosBusy) || filesBusy} data-testid={open === "progress" ? "progress-submit" : "action-submit"}>
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
