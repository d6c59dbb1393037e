// Pending 延期申请 and the office's decision on each: approving or rejecting asks for the reason,
// which is stored as the decision's comment (the timeline shows it), and confirms first.
// Approving moves the deadline in the same change: 延期 is a change of the deadline, not a status.

import { useState } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button, Space } from "antd-mobile";

import { useDirectory } from "../app/context";
import { str, text } from "../domain/scalar";
import { isoDate } from "../domain/time";
import type { DubanItem } from "../generated/records";
import { useT } from "../i18n";
import { personName } from "../sync/directory";
import { confirmMove } from "./confirm";

const REASON_MAX = 2000;

interface Props {
  handle: DocHandle<DubanItem>;
  item: DubanItem;
  me: string;
  /** Whether this user may approve (moving the deadline), besides rejecting. */
  mayApprove: boolean;
}

export function ExtensionDecisions({ handle, item, me, mayApprove }: Props) {
  const t = useT();
  const dir = useDirectory();
  const [open, setOpen] = useState<{ id: string; approve: boolean } | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState(false);
  // A request its handler withdrew is no longer pending (it stays on the timeline).
  const pending = (item.extension_requests ?? []).filter((x) => !x.decision && !x.withdrawn);
  if (pending.length === 0) return null;

  const start = (id: string, approve: boolean) => {
    setOpen({ id, approve });
    setReason("");
    setError(false);
  };
  const decide = async () => {
    if (!open) return;
    const comment = reason.trim();
    if (!comment || comment.length > REASON_MAX) return setError(true);
    const request = pending.find((x) => text(x.id) === open.id);
    if (!request) return;
    const question = open.approve
      ? t("confirm.approve_extension", { date: isoDate(request.new_deadline) })
      : t("confirm.reject_extension");
    if (!(await confirmMove(t, question))) return;
    handle.change((d) => {
      const found = d.extension_requests.find((x) => text(x.id) === open.id);
      if (!found || found.decision) return;
      found.decision = { verdict: str(open.approve ? "approved" : "rejected"), at: Date.now(), by: str(me), comment: str(comment) };
      if (open.approve) d.deadline = found.new_deadline;
    });
    setOpen(null);
  };

  return (
    <div className="pending-extensions">
      {pending.map((x) => (
        <div key={text(x.id)} className="pending-extension" data-testid="extension-pending">
          {t("extension.pending", { who: personName(dir, text(x.by)), date: isoDate(x.new_deadline) })}：{text(x.reason)}
          <Space>
            {mayApprove ? (
              <Button size="mini" color="primary" data-testid="extension-approve" onClick={() => start(text(x.id), true)}>
                {t("extension.approve")}
              </Button>
            ) : null}
            <Button size="mini" data-testid="extension-reject" onClick={() => start(text(x.id), false)}>
              {t("extension.reject")}
            </Button>
          </Space>
          {open?.id === text(x.id) ? (
            <form className="action-form" data-testid="form-decision" onSubmit={(e) => { e.preventDefault(); void decide(); }} noValidate>
              <textarea className="field textarea" rows={2} data-testid="decision-reason" placeholder={t("reason.decision")} value={reason} onChange={(e) => setReason(e.target.value)} />
              {error ? <p className="error" role="alert">{t("reason.required")}</p> : null}
              <Space>
                <Button size="small" color="primary" type="submit" data-testid="decision-submit">{t("common.submit")}</Button>
                <Button size="small" fill="none" onClick={() => setOpen(null)}>{t("common.cancel")}</Button>
              </Space>
            </form>
          ) : null}
        </div>
      ))}
    </div>
  );
}
