// Adding photos in a form: the camera (`capture="environment"`) or the gallery, several at a
// time. Each photo is processed and stored on the phone (capture.ts) before its reference joins
// the form, one at a time (a phone has memory for one decoded photo, not ten). The form is
// saved only when none is still being processed (`onBusy`).

import { useRef, useState, type Dispatch, type SetStateAction } from "react";

import type { Geo, PhotoRef } from "../generated/records";
import { useClient } from "../app/context";
import { text } from "../domain/scalar";
import { capture, CaptureError, deviceLocation } from "./capture";
import { usePhotoQueue } from "./hooks";
import { errorText, usePhotoT } from "./messages";
import PhotoStrip from "./PhotoStrip";
import "./photos.css";

export interface PhotoPickerProps {
  value: readonly PhotoRef[];
  onChange: Dispatch<SetStateAction<PhotoRef[]>>;
  onBusy?: (busy: boolean) => void;
  /** Tells the inputs apart when a form has several pickers (整改前 / 整改后). */
  testid?: string;
  label?: string;
}

/** Photos per entry: enough for any one report, and a bound on what one change carries. */
export const MAX_PHOTOS = 20;

/** The device's location, asked for once per batch and only if a photo needs it. */
function once(fn: () => Promise<Geo | null>): () => Promise<Geo | null> {
  let started: Promise<Geo | null> | null = null;
  return () => (started ??= fn());
}

export default function PhotoPicker({ value, onChange, onBusy, testid = "photo-input", label }: PhotoPickerProps) {
  const t = usePhotoT();
  const { user } = useClient();
  const queue = usePhotoQueue();
  const [busy, setBusy] = useState(0);
  // The same count for `onBusy`, exact across overlapping batches (state lags a render).
  const pending = useRef(0);
  // Photos this picker put on the phone: only those may be taken back by removing them (a
  // photo already waiting may belong to an entry saved before).
  const fresh = useRef(new Set<string>());
  const [keepOriginal, setKeepOriginal] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);

  const take = async (chosen: File[]) => {
    if (!queue || chosen.length === 0) return;
    const chosenAt = Date.now();
    const location = once(() => deviceLocation());
    const files = chosen.slice(0, Math.max(0, MAX_PHOTOS - value.length - busy));
    setErrors(files.length < chosen.length ? [t("photo.too_many", { n: MAX_PHOTOS })] : []);
    if (files.length === 0) return;
    setBusy((n) => n + files.length);
    pending.current += files.length;
    onBusy?.(true);
    for (const file of files) {
      try {
        const { ref, fresh: added } = await capture({ file, by: user.id, chosenAt, location, keepOriginal }, queue);
        if (added) fresh.current.add(text(ref.sha256));
        onChange((refs) => (refs.some((r) => text(r.sha256) === text(ref.sha256)) ? refs : [...refs, ref]));
      } catch (error) {
        const code = error instanceof CaptureError ? error.code : "unreadable";
        if (!(error instanceof CaptureError)) console.error("photo capture", error);
        setErrors((list) => [...list, `${file.name}: ${errorText(t, { code, message: code })}`]);
      } finally {
        setBusy((n) => n - 1);
        pending.current -= 1;
        if (pending.current === 0) onBusy?.(false);
      }
    }
  };

  const remove = (sha256: string) => {
    onChange((refs) => refs.filter((r) => text(r.sha256) !== sha256));
    if (fresh.current.delete(sha256)) void queue?.discard(sha256);
  };

  const input = (camera: boolean) => (
    <input
      type="file"
      accept="image/*"
      hidden
      multiple={!camera}
      capture={camera ? "environment" : undefined}
      data-testid={camera ? `${testid}-camera` : testid}
      disabled={!queue}
      onChange={(e) => {
        const files = [...(e.target.files ?? [])];
        // Lets the same file be chosen again after removing it.
        e.target.value = "";
        void take(files);
      }}
    />
  );

  return (
    <fieldset className="photo-picker" data-busy={busy > 0 ? "true" : "false"}>
      {label ? <legend>{label}</legend> : null}
      <div className="photo-picker-buttons">
        <label className="photo-button">
          {t("photo.camera")}
          {input(true)}
        </label>
        <label className="photo-button">
          {t("photo.gallery")}
          {input(false)}
        </label>
        <label className="photo-keep">
          <input type="checkbox" data-testid={`${testid}-keep-original`} checked={keepOriginal} onChange={(e) => setKeepOriginal(e.target.checked)} />
          {t("photo.keep_original")}
        </label>
      </div>
      {busy > 0 ? (
        <p className="hint" data-testid="photo-busy">
          {t("photo.processing")}
        </p>
      ) : null}
      {errors.map((message) => (
        <p className="error" role="alert" key={message} data-testid="photo-capture-error">
          {message}
        </p>
      ))}
      <PhotoStrip photos={value} onRemove={remove} />
    </fieldset>
  );
}
