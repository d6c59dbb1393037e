// 现场督办: an on-site check of a 督办事项 with what was found and the 整改前 / 整改后 photos,
// offered to those who may append site checks while the item is open. The device's location is
// asked for when the form opens and recorded with the check if it came.

import { useState } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button, Space } from "antd-mobile";

import type { AttachmentRef, DubanItem, DubanStatus, Geo, PhotoRef, SiteCheck as SiteCheckEntry } from "../generated/records";
import type { Role } from "../generated/rules";
import { isOpen } from "../domain/derived";
import { mayAppend } from "../domain/permissions";
import { newEntryId, str } from "../domain/scalar";
import { deviceLocation } from "./capture";
import { usePhotoT } from "./messages";
import AttachmentPicker from "./AttachmentPicker";
import PhotoPicker from "./PhotoPicker";
import "./photos.css";

const PLACE_MAX = 200;
const FINDINGS_MAX = 2000;

export interface SiteCheckProps {
  handle: DocHandle<DubanItem>;
  status: DubanStatus;
  roles: readonly Role[];
  me: string;
}

export default function SiteCheck({ handle, status, roles, me }: SiteCheckProps) {
  const t = usePhotoT();
  const [open, setOpen] = useState(false);
  const [place, setPlace] = useState("");
  const [findings, setFindings] = useState("");
  const [before, setBefore] = useState<PhotoRef[]>([]);
  const [after, setAfter] = useState<PhotoRef[]>([]);
  const [files, setFiles] = useState<AttachmentRef[]>([]);
  const [busy, setBusy] = useState({ before: false, after: false, files: false });
  const [geo, setGeo] = useState<Geo | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!isOpen(status) || !mayAppend("duban", "site_checks", roles)) return null;

  const reset = () => {
    setOpen(false);
    setPlace("");
    setFindings("");
    setBefore([]);
    setAfter([]);
    setFiles([]);
    setGeo(null);
    setError(null);
  };
  const start = () => {
    setOpen(true);
    void deviceLocation().then(setGeo);
  };
  const submit = () => {
    const p = place.trim();
    const f = findings.trim();
    if (!p || !f || p.length > PLACE_MAX || f.length > FINDINGS_MAX) return setError(t("site.required"));
    if (busy.before || busy.after || busy.files) return setError(t("site.busy"));
    const entry: SiteCheckEntry = {
      id: str(newEntryId("s")),
      at: Date.now(),
      by: str(me),
      place: str(p),
      findings: str(f),
      before_photos: before,
      after_photos: after,
      geo,
      attachments: files,
    };
    handle.change((d) => void d.site_checks.push(entry));
    reset();
  };

  return (
    <section className="actions site-check">
      {!open ? (
        <Button size="small" data-testid="site-check-add" onClick={start}>
          {t("site.add")}
        </Button>
      ) : (
        <form className="action-form" data-testid="form-site-check" onSubmit={(e) => { e.preventDefault(); submit(); }} noValidate>
          <input className="field" data-testid="site-place" maxLength={PLACE_MAX} placeholder={t("site.place")} value={place} onChange={(e) => setPlace(e.target.value)} />
          <textarea className="field textarea" rows={3} data-testid="site-findings" placeholder={t("site.findings")} value={findings} onChange={(e) => setFindings(e.target.value)} />
          <PhotoPicker label={t("photo.before")} testid="site-before-input" value={before} onChange={setBefore} onBusy={(b) => setBusy((s) => ({ ...s, before: b }))} />
          <PhotoPicker label={t("photo.after")} testid="site-after-input" value={after} onChange={setAfter} onBusy={(b) => setBusy((s) => ({ ...s, after: b }))} />
          <AttachmentPicker testid="site-attachment-input" value={files} onChange={setFiles} onBusy={(b) => setBusy((s) => ({ ...s, files: b }))} />
          {error ? <p className="error" role="alert">{error}</p> : null}
          <Space>
            <Button size="small" color="primary" type="submit" data-testid="site-submit" disabled={busy.before || busy.after || busy.files}>
              {t("site.submit")}
            </Button>
            <Button size="small" fill="none" onClick={reset}>
              {t("site.cancel")}
            </Button>
          </Space>
        </form>
      )}
    </section>
  );
}
