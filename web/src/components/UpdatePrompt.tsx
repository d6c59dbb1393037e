// Registers the service worker and offers to reload when a new version is ready. The app is
// never reloaded without asking: a person may be in the middle of typing.

import { useRegisterSW } from "virtual:pwa-register/react";
import { Button } from "antd-mobile";

import { useT } from "../i18n";

export function UpdatePrompt() {
  const t = useT();
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    updateServiceWorker,
  } = useRegisterSW();
  if (!needRefresh) return null;
  return (
    <div className="update-prompt" role="status">
      <span>{t("update.ready")}</span>
      <Button size="mini" color="primary" onClick={() => void updateServiceWorker(true)}>
        {t("update.reload")}
      </Button>
      <Button size="mini" fill="none" onClick={() => setNeedRefresh(false)}>
        {t("common.later")}
      </Button>
    </div>
  );
}
