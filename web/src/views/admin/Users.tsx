// Admins: the users. A list; a form to add one (the server answers a one-time password, shown
// once); a form to change display name, roles and unit, reset the password, disable or enable.

import { useCallback, useEffect, useState } from "react";
import { Button, Dialog, DotLoading, ErrorBlock, List, NavBar, Tag, Toast } from "antd-mobile";
import { useNavigate } from "react-router";

import { ApiFailure } from "../../auth/api";
import { ROLES, type Role } from "../../generated/rules";
import { admin, unitTree, type AdminUnit, type AdminUser, type WithPassword } from "../../sync/admin";
import { enumLabel, useT } from "../../i18n";
import { useClient } from "../../app/context";

type Mode = { kind: "list" } | { kind: "new" } | { kind: "edit"; user: AdminUser };

/** The server's refusal in its words (they name the rule), or a generic failure. */
export function failureText(t: ReturnType<typeof useT>, error: unknown): string {
  if (error instanceof ApiFailure && error.status < 500 && error.status !== 401) return error.message;
  return t("admin.failed");
}

export default function Users() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [units, setUnits] = useState<AdminUnit[]>([]);
  const [failed, setFailed] = useState(false);
  const [mode, setMode] = useState<Mode>({ kind: "list" });

  const load = useCallback(() => {
    Promise.all([admin.users(), admin.units()]).then(
      ([u, n]) => {
        setUsers(u);
        setUnits(n);
        setFailed(false);
      },
      () => setFailed(true),
    );
  }, []);
  useEffect(load, [load]);

  const unitName = (id: string | null) => (id ? (units.find((u) => u.id === id)?.name ?? id) : t("admin.no_unit"));
  const showPassword = (answer: WithPassword) =>
    Dialog.alert({
      title: t("admin.one_time_title"),
      content: (
        <div>
          <p>{t("admin.one_time_hint", { name: answer.user.display_name, username: answer.user.username })}</p>
          <p className="one-time-password" data-testid="one-time-password">
            {answer.one_time_password}
          </p>
        </div>
      ),
      confirmText: t("common.ok"),
    });
  const done = (user: AdminUser) => {
    setUsers((all) => (all ?? []).map((u) => (u.id === user.id ? user : u)));
    setMode({ kind: "list" });
    void client.directory.refresh();
  };

  if (mode.kind !== "list") {
    return (
      <UserForm
        user={mode.kind === "edit" ? mode.user : null}
        units={units}
        self={client.user.id}
        onCancel={() => setMode({ kind: "list" })}
        onCreated={(answer) => {
          setUsers((all) => [...(all ?? []), answer.user].sort((a, b) => a.username.localeCompare(b.username)));
          setMode({ kind: "list" });
          void client.directory.refresh();
          void showPassword(answer);
        }}
        onChanged={done}
        onReset={(answer) => {
          done(answer.user);
          void showPassword(answer);
        }}
      />
    );
  }
  return (
    <>
      <NavBar onBack={() => navigate("/settings")}>{t("admin.users")}</NavBar>
      <div className="section">
        <Button block color="primary" data-testid="admin-user-add" onClick={() => setMode({ kind: "new" })}>
          {t("admin.user_add")}
        </Button>
      </div>
      {failed ? <ErrorBlock status="default" title={t("admin.failed")} description={<Button size="small" onClick={load}>{t("common.retry")}</Button>} /> : null}
      {users === null && !failed ? <div className="loading"><DotLoading /> {t("common.loading")}</div> : null}
      {users ? (
        <List data-testid="admin-users">
          {users.map((u) => (
            <List.Item
              key={u.id}
              data-testid={`admin-user-${u.username}`}
              onClick={() => setMode({ kind: "edit", user: u })}
              description={`${u.username} · ${u.roles.map((r) => enumLabel(t, "role", r)).join("、")} · ${unitName(u.unit)}`}
              extra={
                u.disabled ? <Tag color="default">{t("admin.disabled")}</Tag> : u.must_change_password ? <Tag color="warning">{t("admin.one_time")}</Tag> : null
              }
            >
              {u.display_name}
            </List.Item>
          ))}
        </List>
      ) : null}
    </>
  );
}

interface FormProps {
  user: AdminUser | null;
  units: AdminUnit[];
  self: string;
  onCancel: () => void;
  onCreated: (answer: WithPassword) => void;
  onChanged: (user: AdminUser) => void;
  onReset: (answer: WithPassword) => void;
}

function UserForm({ user, units, self, onCancel, onCreated, onChanged, onReset }: FormProps) {
  const t = useT();
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState(user?.display_name ?? "");
  const [roles, setRoles] = useState<Role[]>(user?.roles ?? []);
  const [unit, setUnit] = useState(user?.unit ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async <T,>(action: () => Promise<T>, then: (value: T) => void) => {
    setBusy(true);
    setError(null);
    try {
      then(await action());
    } catch (e) {
      setError(failureText(t, e));
    } finally {
      setBusy(false);
    }
  };
  const save = () => {
    if ((!user && !username.trim()) || !displayName.trim() || roles.length === 0) return setError(t("admin.user_missing"));
    if (user) void run(() => admin.patchUser(user.id, { display_name: displayName, roles, unit: unit || null }), onChanged);
    else void run(() => admin.createUser({ username, display_name: displayName, roles, unit: unit || null }), onCreated);
  };
  const confirmThen = async (content: string, action: () => void) => {
    if (await Dialog.confirm({ content, confirmText: t("common.ok"), cancelText: t("common.cancel") })) action();
  };
  const toggle = (role: Role, on: boolean) => setRoles((all) => (on ? [...all, role] : all.filter((r) => r !== role)));

  return (
    <>
      <NavBar onBack={onCancel}>{user ? user.display_name : t("admin.user_add")}</NavBar>
      <form className="login-form" data-testid="admin-user-form" onSubmit={(e) => (e.preventDefault(), save())} noValidate>
        {user ? (
          <p className="hint">{t("admin.username")}: {user.username}</p>
        ) : (
          <label className="field-label">
            {t("admin.username")}
            <input className="field" data-testid="admin-username" autoCapitalize="none" maxLength={100} value={username} onChange={(e) => setUsername(e.target.value)} />
          </label>
        )}
        <label className="field-label">
          {t("admin.display_name")}
          <input className="field" data-testid="admin-display-name" maxLength={100} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <fieldset className="field-label">
          <legend>{t("settings.roles")}</legend>
          <div className="checklist-options">
            {ROLES.map((role) => (
              <label key={role} className="check-option">
                <input type="checkbox" data-testid={`admin-role-${role}`} checked={roles.includes(role)} onChange={(e) => toggle(role, e.target.checked)} />
                <span className="check-label">{enumLabel(t, "role", role)}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <label className="field-label">
          {t("admin.unit")}
          <select className="field" data-testid="admin-unit" value={unit} onChange={(e) => setUnit(e.target.value)}>
            <option value="">{t("admin.no_unit")}</option>
            {unitTree(units).map(({ unit: u, depth }) => (
              <option key={u.id} value={u.id}>
                {"　".repeat(depth)}
                {u.name}
              </option>
            ))}
          </select>
        </label>
        {error ? (
          <p className="error" role="alert" data-testid="admin-error">
            {error}
          </p>
        ) : null}
        <Button block color="primary" type="submit" loading={busy} data-testid="admin-user-save">
          {user ? t("common.save") : t("admin.user_create")}
        </Button>
      </form>
      {user && user.id !== self ? (
        <div className="section admin-actions">
          <Button block data-testid="admin-user-reset" disabled={busy} onClick={() => void confirmThen(t("admin.reset_confirm", { name: user.display_name }), () => void run(() => admin.resetPassword(user.id), onReset))}>
            {t("admin.reset")}
          </Button>
          {user.disabled ? (
            <Button block data-testid="admin-user-enable" disabled={busy} onClick={() => void run(() => admin.enable(user.id), (u) => (Toast.show({ content: t("admin.enabled") }), onChanged(u)))}>
              {t("admin.enable")}
            </Button>
          ) : (
            <Button block color="danger" fill="outline" data-testid="admin-user-disable" disabled={busy} onClick={() => void confirmThen(t("admin.disable_confirm", { name: user.display_name }), () => void run(() => admin.disable(user.id), onChanged))}>
              {t("admin.disable")}
            </Button>
          )}
        </div>
      ) : null}
    </>
  );
}
