// Sign-in. Needs the network once; afterwards the app opens offline with the stored session.

import { useState, useSyncExternalStore, type FormEvent } from "react";
import { Button, NavBar } from "antd-mobile";
import { Navigate, useLocation, useNavigate } from "react-router";

import { ApiFailure, deviceLabel, login, Offline } from "../auth/api";
import { sessions } from "../auth/session";
import { setLanguage, useLang, useT, type MessageKey } from "../i18n";

function errorKey(error: unknown): MessageKey {
  if (error instanceof Offline) return "login.offline";
  if (error instanceof ApiFailure) {
    if (error.code === "invalid_credentials") return "login.invalid";
    if (error.code === "too_many_attempts") return "login.too_many";
    if (error.code === "account_disabled") return "login.disabled";
  }
  return "login.failed";
}

export function Login() {
  const t = useT();
  const lang = useLang();
  const navigate = useNavigate();
  const location = useLocation();
  const session = useSyncExternalStore(sessions.subscribe, sessions.getSnapshot);
  const [username, setUsername] = useState(session?.user.username ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<MessageKey | null>(null);
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? "/";

  if (session && !session.ended) return <Navigate to={from} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError("login.missing");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password, deviceLabel());
      // Ask the browser to keep our IndexedDB: unsynced work lives there.
      void navigator.storage?.persist?.().catch(() => false);
      navigate(from, { replace: true });
    } catch (e) {
      setError(errorKey(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <NavBar back={null}>{t("app.name")}</NavBar>
      <form className="login-form" onSubmit={(e) => void submit(e)} noValidate>
        <h1 className="login-title">{t("login.title")}</h1>
        {session?.ended ? <p className="notice">{t("login.ended")}</p> : null}
        <label className="field-label">
          {t("login.username")}
          <input
            className="field"
            data-testid="login-username"
            autoComplete="username"
            autoCapitalize="none"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field-label">
          {t("login.password")}
          <input
            className="field"
            data-testid="login-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error ? (
          <p className="error" role="alert" data-testid="login-error">
            {t(error)}
          </p>
        ) : null}
        <Button block color="primary" type="submit" size="large" loading={busy} data-testid="login-submit">
          {t("login.submit")}
        </Button>
      </form>
      <div className="login-lang">
        <Button size="small" fill="none" data-testid="login-lang" onClick={() => setLanguage(lang === "en" ? "zh-CN" : "en")}>
          {lang === "en" ? "中文" : "English"}
        </Button>
      </div>
    </div>
  );
}
