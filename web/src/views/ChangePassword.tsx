// Changing one's password: from settings, and forced right after signing in with a one-time
// password (the server refuses everything else with `password_change_required` until then).

import { useState, type FormEvent } from "react";
import { Button, NavBar, Toast } from "antd-mobile";
import { useNavigate } from "react-router";

import { ApiFailure, logout, Offline } from "../auth/api";
import { sessions } from "../auth/session";
import { changePassword } from "../sync/admin";
import { useT } from "../i18n";

/** The server's rule is the authority; this catches the obvious before a round trip. */
const MIN_CHARS = 8;

export default function ChangePassword({ forced = false }: { forced?: boolean }) {
  const t = useT();
  const navigate = useNavigate();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!current || !next) return setError(t("password.missing"));
    if ([...next].length < MIN_CHARS) return setError(t("password.too_short", { n: MIN_CHARS }));
    if (next !== again) return setError(t("password.mismatch"));
    setBusy(true);
    setError(null);
    try {
      await changePassword({ current, new: next });
      const session = sessions.current;
      if (session) sessions.set({ ...session, user: { ...session.user, must_change_password: false } });
      Toast.show({ content: t("password.changed") });
      if (!forced) navigate("/settings", { replace: true });
    } catch (e) {
      if (e instanceof Offline) setError(t("login.offline"));
      else if (e instanceof ApiFailure && e.code === "wrong_password") setError(t("password.wrong"));
      else if (e instanceof ApiFailure && e.code === "too_many_attempts") setError(t("login.too_many"));
      // The server's rule, in its own words (Chinese first).
      else if (e instanceof ApiFailure && e.code === "weak_password") setError(e.message);
      else setError(t("password.failed"));
    } finally {
      setBusy(false);
    }
  };

  const signOut = async () => {
    await logout();
    sessions.set(null);
    navigate("/login", { replace: true });
  };

  return (
    <div className={forced ? "login" : undefined}>
      <NavBar back={forced ? null : ""} onBack={() => navigate("/settings")}>
        {t("password.title")}
      </NavBar>
      <form className="login-form" onSubmit={(e) => void submit(e)} noValidate data-testid="password-form">
        {forced ? <p className="notice" data-testid="password-forced">{t("password.forced")}</p> : null}
        <label className="field-label">
          {forced ? t("password.one_time") : t("password.current")}
          <input className="field" type="password" autoComplete="current-password" data-testid="password-current" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field-label">
          {t("password.new")}
          <input className="field" type="password" autoComplete="new-password" data-testid="password-new" value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label className="field-label">
          {t("password.again")}
          <input className="field" type="password" autoComplete="new-password" data-testid="password-again" value={again} onChange={(e) => setAgain(e.target.value)} />
        </label>
        <p className="hint">{t("password.rule", { n: MIN_CHARS })}</p>
        {error ? (
          <p className="error" role="alert" data-testid="password-error">
            {error}
          </p>
        ) : null}
        <Button block color="primary" type="submit" size="large" loading={busy} data-testid="password-submit">
          {t("password.submit")}
        </Button>
        {forced ? (
          <Button block fill="none" data-testid="password-sign-out" onClick={() => void signOut()}>
            {t("settings.sign_out")}
          </Button>
        ) : null}
      </form>
    </div>
  );
}
