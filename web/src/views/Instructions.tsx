// 批示跟踪: every leader's instruction on the records this user may read, newest first, each
// with its record's state of 落实 (in progress / closed / overdue) and the items made from it
// (`GET /api/instructions`). Tapping an entry opens its record; tapping a made item opens it.
// Leaders see their own 批示 first (a switch shows everyone's). Needs the network.

import { useEffect, useState } from "react";
import { Button, DotLoading, ErrorBlock, NavBar, Switch, Tag } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useDirectory, useNet } from "../app/context";
import { apiGet } from "../auth/api";
import { isoDate } from "../domain/time";
import { personName, unitName } from "../sync/directory";
import { enumLabel, useT, type MessageKey } from "../i18n";

interface Made {
  id: string;
  title: string | null;
  status: string | null;
  light: string | null;
}

interface Entry {
  record_id: string;
  entry_id: string;
  at: number;
  leader: string;
  text: string;
  type: string | null;
  title: string | null;
  status: string | null;
  light: string | null;
  deadline: number | null;
  lead_unit: string | null;
  state: "in_progress" | "closed" | "overdue";
  items: Made[];
}

interface Answer {
  instructions: Entry[];
  truncated: boolean;
}

const STATE: Record<Entry["state"], { key: MessageKey; color: "primary" | "success" | "danger" }> = {
  in_progress: { key: "instructions.in_progress", color: "primary" },
  closed: { key: "instructions.closed", color: "success" },
  overdue: { key: "instructions.overdue", color: "danger" },
};

export default function Instructions() {
  const t = useT();
  const navigate = useNavigate();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const dir = useDirectory();
  const { id, roles } = useActor();
  const isLeader = roles.includes("leader");
  const [mine, setMine] = useState(isLeader);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!online) return;
    let live = true;
    const query = mine ? `?leader=${encodeURIComponent(id)}` : "";
    apiGet<Answer>(`/api/instructions${query}`).then(
      (a) => {
        if (!live) return;
        setAnswer(a);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [online, mine, id, attempt]);

  const open = (type: string | null, record: string) => navigate(type === "research" ? `/research/${record}` : `/items/${record}`);

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("instructions.title")}</NavBar>
      {isLeader ? (
        <div className="instructions-mine">
          <span>{t("instructions.mine")}</span>
          <Switch checked={mine} onChange={setMine} data-testid="instructions-mine" />
        </div>
      ) : null}
      {!online ? (
        <ErrorBlock status="disconnected" title={t("instructions.offline")} description="" />
      ) : failed && !answer ? (
        <div className="error-state">
          <ErrorBlock status="default" title={t("instructions.failed")} description="" />
          <Button color="primary" fill="outline" onClick={() => setAttempt((n) => n + 1)}>
            {t("common.retry")}
          </Button>
        </div>
      ) : !answer ? (
        <div className="loading">
          <DotLoading /> {t("common.loading")}
        </div>
      ) : answer.instructions.length === 0 ? (
        <ErrorBlock status="empty" data-testid="instructions-empty" title={t("instructions.empty")} description="" />
      ) : (
        <ul className="instructions" data-testid="instructions">
          {answer.instructions.map((e) => (
            <li key={`${e.record_id}/${e.entry_id}`} className="section instruction">
              <button type="button" className="instruction-head" data-testid="instruction" data-id={e.record_id} onClick={() => open(e.type, e.record_id)}>
                <span className="instruction-text">“{e.text}”</span>
                <span className="hint">
                  {personName(dir, e.leader)} · {isoDate(e.at)}
                </span>
                <span className="row-title">{e.title || t("common.untitled")}</span>
                <span className="instruction-state">
                  <Tag color={STATE[e.state].color} fill="outline">
                    {t(STATE[e.state].key)}
                  </Tag>
                  <span className="hint">
                    {enumLabel(t, "status", e.status)}
                    {e.lead_unit ? ` · ${unitName(dir, e.lead_unit)}` : ""}
                    {e.deadline ? ` · ${t("weekly.due", { date: isoDate(e.deadline) })}` : ""}
                  </span>
                </span>
              </button>
              {e.items.length > 0 ? (
                <ul className="instruction-items">
                  {e.items.map((m) => (
                    <li key={m.id}>
                      <button type="button" className="weekly-item" data-testid="instruction-item" onClick={() => navigate(`/items/${m.id}`)}>
                        <span className="row-title">↳ {m.title || t("common.untitled")}</span>
                        <span className="hint">{enumLabel(t, "status", m.status)}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
          {answer.truncated ? <p className="notice">{t("instructions.truncated", { n: answer.instructions.length })}</p> : null}
        </ul>
      )}
    </>
  );
}
