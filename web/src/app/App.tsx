// Routes (history API; the server falls back to index.html for every path, the service worker
// does the same offline). Screens other than the first tabs load on demand.

import { lazy, Suspense, useEffect, useState, useSyncExternalStore } from "react";
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation, useNavigate } from "react-router";
import { ConfigProvider, DotLoading, setDefaultConfig } from "antd-mobile";
import enUS from "antd-mobile/es/locales/en-US";
import zhCN from "antd-mobile/es/locales/zh-CN";

import { sessions } from "../auth/session";
import { SyncClient } from "../sync/client";
import { Login } from "../views/Login";
import { Todo } from "../views/Todo";
import { Ledger } from "../views/Ledger";
import { DubanDetail } from "../records/DubanDetail";
import { UpdatePrompt } from "../components/UpdatePrompt";
import { useLang, useT } from "../i18n";
import { ClientContext } from "./context";
import { Shell } from "./Shell";

const DubanNew = lazy(() => import("../records/DubanNew"));
const ResearchList = lazy(() => import("../research/ResearchList"));
const ResearchNew = lazy(() => import("../research/ResearchNew"));
const ResearchDetail = lazy(() => import("../research/ResearchDetail"));
const Dashboard = lazy(() => import("../views/Dashboard"));
const Settings = lazy(() => import("../views/Settings"));
const Weekly = lazy(() => import("../views/Weekly"));
const Instructions = lazy(() => import("../views/Instructions"));
const Assessments = lazy(() => import("../views/Assessments"));
const Bulletins = lazy(() => import("../views/Bulletins"));
const BulletinDetail = lazy(() => import("../views/BulletinDetail"));
const WorkList = lazy(() => import("../views/WorkList"));
const MeetingList = lazy(() => import("../meetings/MeetingList"));
const MeetingDetail = lazy(() => import("../meetings/MeetingDetail"));
const Inbox = lazy(() => import("../views/Inbox"));
const Channels = lazy(() => import("../views/admin/Channels"));
const PrintView = lazy(() => import("../documents/PrintView"));
const ChangePassword = lazy(() => import("../views/ChangePassword"));
const AdminUsers = lazy(() => import("../views/admin/Users"));
const AdminUnits = lazy(() => import("../views/admin/Units"));

export function App() {
  const lang = useLang();
  const locale = lang === "en" ? enUS : zhCN;
  // Toasts and dialogs opened imperatively render outside the provider: they read the default.
  useEffect(() => setDefaultConfig({ locale }), [locale]);
  return (
    <ConfigProvider locale={locale}>
    <BrowserRouter>
      <UpdatePrompt />
      <Routes>
        <Route path="/login" element={<Login />} />
        <Route element={<SignedIn />}>
          {/* Papers to print: the page alone, without the app's bars. */}
          <Route path="items/:id/print" element={<Lazy><PrintView /></Lazy>} />
          <Route path="items/:id/urges/:urge/print" element={<Lazy><PrintView /></Lazy>} />
          <Route path="research/:id/print" element={<Lazy><PrintView /></Lazy>} />
          <Route element={<Shell />}>
            <Route index element={<Todo />} />
            <Route path="ledger" element={<Ledger />} />
            <Route path="items/new" element={<Lazy><DubanNew /></Lazy>} />
            <Route path="items/:id" element={<DubanDetail />} />
            <Route path="research" element={<Lazy><ResearchList /></Lazy>} />
            <Route path="research/new" element={<Lazy><ResearchNew /></Lazy>} />
            <Route path="research/:id" element={<Lazy><ResearchDetail /></Lazy>} />
            <Route path="inbox" element={<Lazy><Inbox /></Lazy>} />
            <Route path="dashboard" element={<Lazy><Dashboard /></Lazy>} />
            <Route path="reports/weekly" element={<Lazy><Weekly /></Lazy>} />
            <Route path="instructions" element={<Lazy><Instructions /></Lazy>} />
            <Route path="assessments" element={<Lazy><Assessments /></Lazy>} />
            <Route path="bulletins" element={<Lazy><Bulletins /></Lazy>} />
            <Route path="bulletins/:id" element={<Lazy><BulletinDetail /></Lazy>} />
            <Route path="worklist" element={<Lazy><WorkList /></Lazy>} />
            <Route path="meetings" element={<Lazy><MeetingList /></Lazy>} />
            <Route path="meetings/:id" element={<Lazy><MeetingDetail /></Lazy>} />
            <Route path="settings" element={<Lazy><Settings /></Lazy>} />
            <Route path="settings/channels" element={<Lazy><Channels /></Lazy>} />
            <Route path="settings/password" element={<Lazy><ChangePassword /></Lazy>} />
            <Route path="settings/users" element={<Lazy><AdminUsers /></Lazy>} />
            <Route path="settings/units" element={<Lazy><AdminUnits /></Lazy>} />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Route>
        </Route>
      </Routes>
    </BrowserRouter>
    </ConfigProvider>
  );
}

function Lazy({ children }: { children: React.ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

export function Loading() {
  const t = useT();
  return (
    <div className="loading">
      <DotLoading /> {t("common.loading")}
    </div>
  );
}

/**
 * Everything behind sign-in. The session is kept in localStorage, so after one online sign-in
 * this opens with no network; the sync client of that user runs while it is mounted.
 */
function SignedIn() {
  const session = useSyncExternalStore(sessions.subscribe, sessions.getSnapshot);
  const userId = session?.user.id ?? null;
  // Signed in with a one-time password: the server answers nothing else until a new one is
  // set, so the form comes first and the sync client starts after it.
  const mustChange = session?.user.must_change_password === true && !session.ended;
  const location = useLocation();
  const navigate = useNavigate();
  const [client, setClient] = useState<SyncClient | null>(null);

  useEffect(() => {
    if (!userId || !session || mustChange) return;
    let live = true;
    let started: SyncClient | null = null;
    const user = session.user;
    // Signed out elsewhere or disabled: to the login page. A refused refresh (e.g. 30 days
    // offline) keeps the app usable on local data; the status bar asks to sign in again.
    void SyncClient.start(user, (closedByServer) => {
      if (closedByServer) navigate("/login", { replace: true });
    }).then((c) => {
      started = c;
      if (live) setClient(c);
      else void c.stop();
    });
    return () => {
      live = false;
      setClient(null);
      if (started) void started.stop();
    };
    // One client per user: token rotations change `session` but not who is signed in.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [userId, mustChange]);

  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (mustChange) return <Lazy><ChangePassword forced /></Lazy>;
  if (!client || client.user.id !== userId) return <Loading />;
  return (
    <ClientContext.Provider value={client}>
      <Outlet />
    </ClientContext.Provider>
  );
}
