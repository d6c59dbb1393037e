// Asking before a status move: a move changes what everyone sees of the item and notifies
// people, so a stray tap must not make it. The dialog's buttons carry test ids.

import { Dialog } from "antd-mobile";

import type { Translate } from "../i18n";

/** Resolves true when the person confirms `content`. */
export function confirmMove(t: Translate, content: string): Promise<boolean> {
  return Dialog.confirm({
    content: <div data-testid="confirm-dialog">{content}</div>,
    confirmText: <span data-testid="confirm-ok">{t("confirm.ok")}</span>,
    cancelText: <span data-testid="confirm-cancel">{t("confirm.cancel")}</span>,
  });
}
