// Settings: the account (and changing its password), language, notifications, the storage this
// app uses on the phone, and signing out; for admins users, units, the documents' heading and the
// way to the outside channels.

import { useEffect, useState } from "react";
import { Button, Dialog, List, NavBar, Toast } from "antd-mobile";
import { useNavigate } from "react-router";

import { useClient, useIndexEntries } from "../app/context";
import { logout } from "../auth/api";
import { sessions } from "../auth/session";
import { setLanguage, useLang, useT, enumLabel } from "../i18n";
import { unsyncedCount } from "../sync/localIndex";
import { ApiFailure } from "../auth/api";
import { MAX_ISSUER_CHARS, saveIssuer, useIssuer } from "../documents/heading";
import { NotifySettings } from "../notify/NotifySettings";

function size(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb.toFixed(1)} MB`;
}

export default function Settings() {
  const t = useT();
  const lang = useLang();
  const navigate = useNavigate();
  const client = useClient();
  const entries = useIndexEntries();
  const [usage, setUsage] = useState<{ used: number; quota: number } | null>(null);
  const [persisted, setPersisted] = useState<boolean | null>(null);

  useEffect(() => {
    void navigator.storage?.estimate?.().then((e) => setUsage({ used: e.usage ?? 0, quota: e.quota ?? 0 }));
    void navigator.storage?.persisted?.().then(setPersisted);
  }, []);

  const signOut = async () => {
    const pending = unsyncedCount(entries);
    if (pending > 0) {
      const sure = await Dialog.confirm({ content: t("settings.sign_out_pending", { n: pending }) });
      if (!sure) return;
    }
    await logout();
    await client.stop();
    sessions.set(null);
    navigate("/login", { replace: true });
  };

  return (
    <>
      <NavBar back={null}>{t("settings.title")}</NavBar>
      <List header={t("settings.account")}>
        <List.Item extra={client.user.display_name}>{t("settings.user")}</List.Item>
        <List.Item extra={client.user.roles.map((r) => enumLabel(t, "role", r)).join("、")}>{t("settings.roles")}</List.Item>
        <List.Item clickable data-testid="settings-password" onClick={() => navigate("/settings/password")}>
          {t("password.title")}
        </List.Item>
      </List>
      {client.user.roles.includes("admin") ? (
        <List header={t("admin.title")}>
          <List.Item clickable data-testid="settings-users" onClick={() => navigate("/settings/users")}>
            {t("admin.users")}
          </List.Item>
          <List.Item clickable data-testid="settings-units" onClick={() => navigate("/settings/units")}>
            {t("admin.units")}
          </List.Item>
        </List>
      ) : null}
      <List header={t("settings.language")}>
        <List.Item>
          <Button size="small" color={lang === "zh-CN" ? "primary" : "default"} data-testid="lang-zh" onClick={() => setLanguage("zh-CN")}>
            中文
          </Button>{" "}
          <Button size="small" color={lang === "en" ? "primary" : "default"} data-testid="lang-en" onClick={() => setLanguage("en")}>
            English
          </Button>
        </List.Item>
      </List>
      <List header={t("settings.storage")}>
        <List.Item extra={<span data-testid="storage-used">{usage ? size(usage.used) : "—"}</span>}>{t("settings.storage_used")}</List.Item>
        <List.Item extra={usage ? size(usage.quota) : "—"}>{t("settings.storage_quota")}</List.Item>
        <List.Item extra={persisted === null ? "—" : persisted ? t("settings.persisted") : t("settings.not_persisted")}>
          {t("settings.persistence")}
        </List.Item>
        <List.Item extra={entries.filter((e) => e.summary).length}>{t("settings.records")}</List.Item>
      </List>
      <NotifySettings />
      {client.user.roles.includes("admin") ? <IssuerSetting /> : null}
      {client.user.roles.includes("admin") ? (
        <List>
          <List.Item arrow data-testid="channels-entry" onClick={() => navigate("/settings/channels")}>
            {t("channels.entry")}
          </List.Item>
        </List>
      ) : null}
      <div className="section">
        <Button block color="danger" fill="outline" data-testid="sign-out" onClick={() => void signOut()}>
          {t("settings.sign_out")}
        </Button>
      </div>
    </>
  );
}

/** Admins: the heading (红头) printed on every document. */
function IssuerSetting() {
  const t = useT();
  const issuer = useIssuer();
  const [draft, setDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const value = draft ?? issuer;
  const save = () => {
    setSaving(true);
    saveIssuer(value)
      .then(
        () => {
          setDraft(null);
          Toast.show({ content: t("settings.issuer_saved") });
        },
        (error: unknown) => Toast.show({ content: error instanceof ApiFailure ? error.message : t("paper.failed") }),
      )
      .finally(() => setSaving(false));
  };
  return (
    <List header={t("settings.documents")}>
      <List.Item>
        <label className="field-label">
          {t("settings.issuer")}
          <input className="field" data-testid="issuer-input" value={value} maxLength={MAX_ISSUER_CHARS} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <Button size="small" color="primary" data-testid="issuer-save" loading={saving} disabled={!value.trim() || value === issuer} onClick={save}>
          {t("common.save")}
        </Button>
      </List.Item>
    </List>
  );
}
