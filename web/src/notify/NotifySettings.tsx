// Settings, 消息通知: which kinds reach the user outside the app, quiet hours, and Web Push on
// this device. Permission is asked only when the user taps the button, never on load.

import { useEffect, useState } from "react";
import { Button, List, Selector, Switch, Toast } from "antd-mobile";

import { ApiFailure } from "../auth/api";
import { useT } from "../i18n";
import {
  currentSubscription,
  disablePush,
  enablePush,
  loadSettings,
  pushSupported,
  saveSettings,
  type NotifySettings as Settings,
} from "./settings";

const DEFAULT_QUIET = { from: "22:00", to: "07:30" };

export function NotifySettings() {
  const t = useT();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [events, setEvents] = useState<string[]>([]);
  const [quiet, setQuiet] = useState<{ from: string; to: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [pushOn, setPushOn] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    loadSettings().then(
      (s) => {
        if (!live) return;
        setSettings(s);
        setEvents(s.events);
        setQuiet(s.quiet_hours);
      },
      () => undefined,
    );
    void currentSubscription().then((s) => live && setPushOn(s !== null), () => live && setPushOn(false));
    return () => {
      live = false;
    };
  }, []);

  if (!settings) return null;
  const fail = (error: unknown) => Toast.show({ content: error instanceof ApiFailure ? error.message : t("notify.failed") });

  const save = () => {
    setSaving(true);
    saveSettings(events, quiet)
      .then((s) => {
        setSettings(s);
        Toast.show({ content: t("settings.issuer_saved") });
      }, fail)
      .finally(() => setSaving(false));
  };

  const togglePush = () => {
    setBusy(true);
    const work = pushOn
      ? disablePush().then(() => setPushOn(false))
      : enablePush(settings.push_public_key ?? "").then((permission) => {
          if (permission === "granted") setPushOn(true);
          else Toast.show({ content: t("notify.push_denied") });
        });
    work.catch(fail).finally(() => setBusy(false));
  };

  const changed =
    JSON.stringify([...events].sort()) !== JSON.stringify([...settings.events].sort()) ||
    JSON.stringify(quiet) !== JSON.stringify(settings.quiet_hours);
  const quietValid = !quiet || (/^\d\d:\d\d$/.test(quiet.from) && /^\d\d:\d\d$/.test(quiet.to) && quiet.from !== quiet.to);

  return (
    <List header={t("notify.title")} data-testid="notify-settings">
      <List.Item description={t("notify.kinds_hint")}>
        <Selector
          multiple
          columns={2}
          value={events}
          onChange={setEvents}
          options={settings.kinds.map((k) => ({ label: k.label, value: k.kind }))}
        />
      </List.Item>
      <List.Item
        description={t("notify.quiet_hint")}
        extra={<Switch data-testid="quiet-switch" checked={quiet !== null} onChange={(on) => setQuiet(on ? DEFAULT_QUIET : null)} />}
      >
        {t("notify.quiet")}
      </List.Item>
      {quiet ? (
        <List.Item>
          <input className="field" type="time" data-testid="quiet-from" aria-label={t("notify.quiet_from")} value={quiet.from} onChange={(e) => setQuiet({ ...quiet, from: e.target.value })} />
          {" — "}
          <input className="field" type="time" data-testid="quiet-to" aria-label={t("notify.quiet_to")} value={quiet.to} onChange={(e) => setQuiet({ ...quiet, to: e.target.value })} />
        </List.Item>
      ) : null}
      <List.Item>
        <Button size="small" color="primary" data-testid="notify-save" loading={saving} disabled={!changed || !quietValid} onClick={save}>
          {t("common.save")}
        </Button>
      </List.Item>
      <List.Item description={settings.push_public_key && pushSupported() ? t("notify.push_hint") : t("notify.push_unavailable")}>
        <Button
          size="small"
          data-testid="push-toggle"
          loading={busy}
          disabled={!settings.push_public_key || !pushSupported() || pushOn === null}
          onClick={togglePush}
        >
          {pushOn ? t("notify.push_off") : t("notify.push_on")}
        </Button>
      </List.Item>
    </List>
  );
}
