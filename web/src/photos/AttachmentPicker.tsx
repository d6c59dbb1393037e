// Adding files that are not photos to a form (整改报告, 汇报材料, a scanned 批示件): PDF, Word,
// Excel, WPS, ODF or plain text, checked by their first bytes and stored on the phone before
// their reference joins the form (attach.ts); they upload by themselves with the photos. The
// form is saved only when none is still being stored (`onBusy`).

import { useRef, useState, type Dispatch, type SetStateAction } from "react";

import type { AttachmentRef } from "../generated/records";
import { useClient } from "../app/context";
import { text } from "../domain/scalar";
import { ACCEPT, attach, AttachError, MAX_ATTACHMENT_BYTES } from "./attach";
import AttachmentList from "./AttachmentList";
import { usePhotoQueue } from "./hooks";
import { usePhotoT } from "./messages";
import "./photos.css";

export interface AttachmentPickerProps {
  value: readonly AttachmentRef[];
  onChange: Dispatch<SetStateAction<AttachmentRef[]>>;
  onBusy?: (busy: boolean) => void;
  testid?: string;
}

/** Files per entry: a bound on what one change carries. */
export const MAX_ATTACHMENTS = 10;

export default function AttachmentPicker({ value, onChange, onBusy, testid = "attachment-input" }: AttachmentPickerProps) {
  const t = usePhotoT();
  const { user } = useClient();
  const queue = usePhotoQueue();
  const pending = useRef(0);
  const [busy, setBusy] = useState(false);
  // Files this picker put on the phone: only those may be taken back by removing them.
  const fresh = useRef(new Set<string>());
  const [errors, setErrors] = useState<string[]>([]);

  const take = async (chosen: File[]) => {
    if (!queue || chosen.length === 0) return;
    const files = chosen.slice(0, Math.max(0, MAX_ATTACHMENTS - value.length));
    setErrors(files.length < chosen.length ? [t("attach.too_many", { n: MAX_ATTACHMENTS })] : []);
    pending.current += files.length;
    setBusy(true);
    onBusy?.(true);
    for (const file of files) {
      try {
        const { ref, fresh: added } = await attach(file, user.id, queue);
        if (added) fresh.current.add(text(ref.sha256));
        onChange((refs) => (refs.some((r) => text(r.sha256) === text(ref.sha256)) ? refs : [...refs, ref]));
      } catch (error) {
        const code = error instanceof AttachError ? error.code : "unreadable";
        if (!(error instanceof AttachError)) console.error("attachment", error);
        const words =
          code === "too_large"
            ? t("attach.error.too_large", { mb: MAX_ATTACHMENT_BYTES / 1024 / 1024 })
            : t(code === "unsupported_type" ? "attach.error.unsupported_type" : code === "storage_full" ? "photo.error.storage_full" : "photo.error.unreadable");
        setErrors((list) => [...list, `${file.name}: ${words}`]);
      } finally {
        pending.current -= 1;
        if (pending.current === 0) {
          setBusy(false);
          onBusy?.(false);
        }
      }
    }
  };

  const remove = (sha256: string) => {
    onChange((refs) => refs.filter((r) => text(r.sha256) !== sha256));
    if (fresh.current.delete(sha256)) void queue?.discard(sha256);
  };

  return (
    <fieldset className="photo-picker attachment-picker" data-busy={busy ? "true" : "false"}>
      <div className="photo-picker-buttons">
        <label className="photo-button">
          {t("attach.add")}
          <input
            type="file"
            accept={ACCEPT}
            hidden
            multiple
            data-testid={testid}
            disabled={!queue}
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              e.target.value = "";
              void take(files);
            }}
          />
        </label>
        <span className="hint">{t("attach.hint")}</span>
      </div>
      {errors.map((message) => (
        <p className="error" role="alert" key={message} data-testid="attachment-error">
          {message}
        </p>
      ))}
      <AttachmentList attachments={value} onRemove={remove} />
    </fieldset>
  );
}
