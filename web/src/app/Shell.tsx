// The frame around every signed-in screen: the status bar (online or offline, records not yet
// on the server), the screen, and the bottom tab bar.

import { TabBar } from "antd-mobile";
import { Outlet, useLocation, useNavigate } from "react-router";

import { StatusBar } from "../components/StatusBar";
import { PhotoUploads } from "../photos";
import { useT, type MessageKey } from "../i18n";

const TABS: { key: string; path: string; label: MessageKey; icon: string; testid: string }[] = [
  { key: "todo", path: "/", label: "tab.todo", icon: "☑", testid: "tab-todo" },
  { key: "ledger", path: "/ledger", label: "tab.ledger", icon: "☰", testid: "tab-ledger" },
  { key: "research", path: "/research", label: "tab.research", icon: "⌕", testid: "tab-research" },
  { key: "dashboard", path: "/dashboard", label: "tab.dashboard", icon: "▦", testid: "tab-dashboard" },
  { key: "settings", path: "/settings", label: "tab.settings", icon: "⚙", testid: "tab-settings" },
];

function activeTab(pathname: string): string {
  if (pathname === "/") return "todo";
  if (pathname.startsWith("/ledger") || pathname.startsWith("/items")) return "ledger";
  const found = TABS.find((tab) => tab.path !== "/" && pathname.startsWith(tab.path));
  return found?.key ?? "todo";
}

export function Shell() {
  const t = useT();
  const location = useLocation();
  const navigate = useNavigate();
  return (
    <div className="shell">
      <StatusBar />
      <PhotoUploads />
      <main className="screen">
        <Outlet />
      </main>
      <nav className="tabbar">
        <TabBar
          activeKey={activeTab(location.pathname)}
          onChange={(key) => {
            const tab = TABS.find((x) => x.key === key);
            if (tab) navigate(tab.path);
          }}
        >
          {TABS.map((tab) => (
            <TabBar.Item
              key={tab.key}
              icon={<span aria-hidden>{tab.icon}</span>}
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
