// The frame around every signed-in screen: the status bar (online or offline, records not yet
// on the server), the screen, and the bottom tab bar.

import type { ReactNode } from "react";
import { Badge, TabBar } from "antd-mobile";
import { Outlet, useLocation, useNavigate } from "react-router";

import { StatusBar } from "../components/StatusBar";
import { DashboardIcon, InboxIcon, LedgerIcon, ResearchIcon, SettingsIcon, TodoIcon } from "../components/TabIcons";
import { useInbox } from "./context";
import { PhotoUploads } from "../photos";
import { useT, type MessageKey } from "../i18n";
import { retap } from "./retap";

const TABS: { key: string; path: string; label: MessageKey; icon: ReactNode; testid: string }[] = [
  { key: "todo", path: "/", label: "tab.todo", icon: <TodoIcon />, testid: "tab-todo" },
  { key: "ledger", path: "/ledger", label: "tab.ledger", icon: <LedgerIcon />, testid: "tab-ledger" },
  { key: "inbox", path: "/inbox", label: "tab.inbox", icon: <InboxIcon />, testid: "tab-inbox" },
  { key: "research", path: "/research", label: "tab.research", icon: <ResearchIcon />, testid: "tab-research" },
  { key: "dashboard", path: "/dashboard", label: "tab.dashboard", icon: <DashboardIcon />, testid: "tab-dashboard" },
  { key: "settings", path: "/settings", label: "tab.settings", icon: <SettingsIcon />, testid: "tab-settings" },
];

function activeTab(pathname: string): string {
  if (pathname === "/") return "todo";
  if (pathname.startsWith("/ledger") || pathname.startsWith("/items")) return "ledger";
  if (pathname.startsWith("/reports")) return "dashboard";
  const found = TABS.find((tab) => tab.path !== "/" && pathname.startsWith(tab.path));
  return found?.key ?? "todo";
}

export function Shell() {
  const t = useT();
  const location = useLocation();
  const navigate = useNavigate();
  const active = activeTab(location.pathname);
  const unread = useInbox().items.filter((e) => !e.read).length;
  return (
    <div className="shell">
      <StatusBar />
      <PhotoUploads />
      <main className="screen">
        <Outlet />
      </main>
      <nav className="tabbar">
        <TabBar activeKey={active}>
          {TABS.map((tab) => (
            <TabBar.Item
              key={tab.key}
              // Every tap, not only a change of tab: from an item's page the 台账 tab (already
              // the active one) leads back to the ledger, and on its own screen a tab refreshes it.
              onClick={() => {
                if (location.pathname === tab.path) retap(tab.key);
                else navigate(tab.path);
              }}
              icon={
                tab.key === "inbox" && unread > 0 ? (
                  <Badge content={unread > 99 ? "99+" : unread} data-testid="inbox-badge">
                    {tab.icon}
                  </Badge>
                ) : (
                  tab.icon
                )
              }
              title={
                <a
                  href={tab.path}
                  data-testid={tab.testid}
                  onClick={(e) => {
                    // The tab bar navigates; the link is there for tests and accessibility.
                    e.preventDefault();
                  }}
                >
                  {t(tab.label)}
                </a>
              }
            />
          ))}
        </TabBar>
      </nav>
    </div>
  );
}
