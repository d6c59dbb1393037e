// 工作清单: the 督办事项 by level (公司层面 / 办公室层面 / 专项工作层面), top-level items first, each
// parent with its children's progress rolled up by the server (`rollup` of `GET /api/records`:
// children this user may read, how many closed, mean progress, lights). Tapping a parent shows
// its children; tapping a row opens the item. Needs the network.

import { useEffect, useState } from "react";
import { DotLoading, ErrorBlock, List, NavBar, ProgressBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { useClient, useDirectory, useNet } from "../app/context";
import { RecordRow } from "../components/RecordRow";
import { LEVELS } from "../generated/records";
import { enumLabel, useT } from "../i18n";
import { fetchServerRows, type ServerRow } from "../sync/serverList";
import { serverRowView } from "./rows";

export default function WorkList() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const dir = useDirectory();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  const [rows, setRows] = useState<ServerRow[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [children, setChildren] = useState<Record<string, ServerRow[]>>({});

  useEffect(() => {
    if (!online) return;
    let live = true;
    fetchServerRows(client, { type: "duban", parent: "none", limit: "200" }).then(
      (r) => live && setRows(r),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [client, online]);

  useEffect(() => {
    if (!open || children[open]) return;
    let live = true;
    fetchServerRows(client, { type: "duban", parent: open, limit: "200" }).then(
      (r) => live && setChildren((c) => ({ ...c, [open]: r })),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, open, children]);

  return (
    <>
      <NavBar onBack={() => navigate(-1)}>{t("worklist.title")}</NavBar>
      {!online ? (
        <ErrorBlock status="disconnected" title={t("worklist.offline")} description="" />
      ) : failed ? (
        <ErrorBlock status="default" title={t("worklist.failed")} description="" />
      ) : !rows ? (
        <div className="loading">
          <DotLoading /> {t("common.loading")}
        </div>
      ) : (
        LEVELS.map((level) => {
          const here = rows.filter((r) => r.level === level);
          return (
            <List key={level} header={`${enumLabel(t, "level", level)}（${here.length}）`} data-testid="worklist-level" data-level={level}>
              {here.map((row) => (
                <div key={row.id}>
                  <RecordRow row={serverRowView(row, dir)} />
                  {row.rollup ? (
                    <button type="button" className="rollup" data-testid="rollup" onClick={() => setOpen(open === row.id ? null : row.id)}>
                      <ProgressBar percent={row.rollup.mean_progress ?? 0} />
                      <span className="hint">
                        {t("worklist.rollup", {
                          n: row.rollup.children,
                          closed: row.rollup.closed,
                          red: row.rollup.red,
                          yellow: row.rollup.yellow,
                          pct: row.rollup.mean_progress ?? 0,
                        })}
                      </span>
                    </button>
                  ) : null}
                  {open === row.id
                    ? (children[row.id] ?? []).map((c) => (
                        <div key={c.id} className="rollup-child">
                          <RecordRow row={serverRowView(c, dir)} />
                        </div>
                      ))
                    : null}
                </div>
              ))}
            </List>
          );
        })
      )}
    </>
  );
}
