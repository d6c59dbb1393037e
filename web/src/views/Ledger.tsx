// 督办台账: every 督办事项 this user may read, with filters and search. Offline it filters the
// local index; online it also asks the server (which knows records not yet on this phone) and
// caches what it returns.

import { useEffect, useMemo, useState } from "react";
import { Button, ErrorBlock, List, NavBar, Toast } from "antd-mobile";
import { useNavigate, useSearchParams } from "react-router";

import { useActor, useClient, useDirectory, useIndexEntries, useNet, useNow } from "../app/context";
import { downloadFile } from "../auth/api";
import { RecordRow } from "../components/RecordRow";
import { DUBAN_STATUSES, LEVELS } from "../generated/records";
import { ledgerRows, type LedgerFilter } from "../domain/lists";
import { mayCreate } from "../domain/permissions";
import { isOpen } from "../domain/derived";
import { newMeeting, type AgendaSource } from "../domain/meetings";
import { clock, isoDate } from "../domain/time";
import type { DubanStatus } from "../generated/records";
import { confirmMove } from "../records/confirm";
import type { RecordSummary } from "../domain/summary";
import { endOfDayFromIso } from "../domain/time";
import { enumLabel, useT } from "../i18n";
import { fetchServerRows, type ServerRow } from "../sync/serverList";
import { localRowView, serverRowView } from "./rows";

/** Typing settles this long before the server is asked. */
const SEARCH_DELAY_MS = 300;

export function Ledger() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const entries = useIndexEntries();
  const dir = useDirectory();
  const now = useNow();
  const net = useNet();
  const online = net.browserOnline && net.connected;
  // `?unit=` (the dashboard's unit rows) starts the ledger filtered to that unit.
  const [search] = useSearchParams();
  const [filter, setFilter] = useState<LedgerFilter & { due?: string }>(() => {
    const unit = search.get("unit");
    return unit ? { unit } : {};
  });
  const [server, setServer] = useState<ServerRow[]>([]);

  const local = useMemo(() => {
    const summaries = entries.filter((e) => e.summary && !e.unavailable).map((e) => e.summary as RecordSummary);
    return ledgerRows(summaries, { ...filter, dueBefore: filter.due ? endOfDayFromIso(filter.due) : null }, now);
  }, [entries, filter, now]);

  const params = useMemo(
    () => ({
      type: "duban",
      status: filter.status ?? "",
      light: filter.light ?? "",
      level: filter.level ?? "",
      unit: filter.unit ?? "",
      q: filter.q?.trim() ?? "",
      due_before: filter.due ?? "",
      limit: "100",
    }),
    [filter],
  );

  useEffect(() => {
    if (!online) return;
    let live = true;
    const timer = setTimeout(() => {
      fetchServerRows(client, params).then(
        (rows) => live && setServer(rows),
        () => live && setServer([]),
      );
    }, SEARCH_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, params, online]);

  const byId = new Map(entries.map((e) => [e.id, e]));
  const shown = new Set(local.map((row) => row.summary.id));
  // Server rows not (yet) held here; while offline the last answer is not shown, so the list
  // is exactly what the phone can open.
  const extra = online ? server.filter((row) => !shown.has(row.id) && row.type === "duban") : [];

  const exportXlsx = async () => {
    const query = new URLSearchParams(Object.entries(params).filter(([k, v]) => v !== "" && k !== "limit" && k !== "type"));
    try {
      await downloadFile(`/api/ledger.xlsx?${query.toString()}`, t("ledger.filename"));
    } catch {
      Toast.show({ content: t("ledger.export_failed") });
    }
  };

  // 开周会: the open items of the list as shown now become the meeting's agenda snapshot.
  const agenda: AgendaSource[] = [
    ...local.map((row) => ({
      id: row.summary.id,
      title: row.summary.title,
      lead_unit: row.summary.unit,
      status: row.summary.status as DubanStatus,
      light: row.light,
      deadline: row.summary.deadline,
      latest_progress: row.summary.latest ?? null,
    })),
    ...extra.map((row) => ({
      id: row.id,
      title: row.title ?? "",
      lead_unit: row.lead_unit,
      status: (row.status ?? "") as DubanStatus,
      light: row.light,
      deadline: row.deadline,
      latest_progress: null,
    })),
  ].filter((a) => isOpen(a.status));
  const startMeeting = async () => {
    if (agenda.length === 0) return Toast.show({ content: t("meeting.nothing_to_review") });
    if (!(await confirmMove(t, t("meeting.confirm_start", { n: agenda.length })))) return;
    const now = clock();
    const title = t("meeting.default_title", { date: isoDate(now) });
    const meeting = client.create(newMeeting("weekly", title, agenda, actor.id, actor.unit ?? "", now));
    navigate(`/meetings/${meeting.documentId}`);
  };

  const set = (patch: Partial<typeof filter>) => setFilter((f) => ({ ...f, ...patch }));
  const filtered = Object.values(filter).some((v) => typeof v === "string" && v.trim() !== "");
  return (
    <>
      <NavBar
        back={null}
        right={
          mayCreate("duban", actor.roles) ? (
            <Button size="mini" color="primary" data-testid="new-item" onClick={() => navigate("/items/new")}>
              {t("ledger.new")}
            </Button>
          ) : null
        }
      >
        {t("ledger.title")}
      </NavBar>
      <div className="filters">
        <input
          className="field"
          type="search"
          data-testid="ledger-search"
          placeholder={t("ledger.search")}
          value={filter.q ?? ""}
          onChange={(e) => set({ q: e.target.value })}
        />
        <div className="filter-row">
          <select className="field" aria-label={t("field.status")} value={filter.status ?? ""} onChange={(e) => set({ status: e.target.value as LedgerFilter["status"] })}>
            <option value="">{t("ledger.all_statuses")}</option>
            {DUBAN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {enumLabel(t, "status", s)}
              </option>
            ))}
          </select>
          <select className="field" aria-label={t("field.light")} value={filter.light ?? ""} onChange={(e) => set({ light: e.target.value as LedgerFilter["light"] })}>
            <option value="">{t("ledger.all_lights")}</option>
            {(["red", "yellow", "green"] as const).map((l) => (
              <option key={l} value={l}>
                {t(`light.${l}`)}
              </option>
            ))}
          </select>
          <select className="field" aria-label={t("field.level")} value={filter.level ?? ""} onChange={(e) => set({ level: e.target.value })}>
            <option value="">{t("ledger.all_levels")}</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {enumLabel(t, "level", l)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-row">
          <select className="field" aria-label={t("field.lead_unit")} value={filter.unit ?? ""} onChange={(e) => set({ unit: e.target.value })}>
            <option value="">{t("ledger.all_units")}</option>
            {dir.units.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
          <label className="stacked-label">
            <span>{t("ledger.due_before")}</span>
            <input className="field" type="date" data-testid="ledger-due" value={filter.due ?? ""} onChange={(e) => set({ due: e.target.value })} />
          </label>
        </div>
        <div className="filter-row ledger-actions">
          {online ? (
            <Button size="small" fill="outline" onClick={() => void exportXlsx()}>
              {t("ledger.export")}
            </Button>
          ) : null}
          <Button size="small" fill="outline" data-testid="open-meetings" onClick={() => navigate("/meetings")}>
            {t("meeting.open_list")}
          </Button>
          {mayCreate("meeting", actor.roles) ? (
            <Button size="small" color="primary" fill="outline" data-testid="start-meeting" onClick={() => void startMeeting()}>
              {t("meeting.start_weekly")}
            </Button>
          ) : null}
        </div>
      </div>
      {online ? null : <p className="hint ledger-offline">{t("ledger.offline")}</p>}
      {local.length + extra.length === 0 ? (
        <ErrorBlock status="empty" data-testid="ledger-empty" title={t("ledger.empty")} description={t(filtered ? "ledger.empty_filtered" : "ledger.empty_hint")} />
      ) : (
        <List header={t("ledger.count", { n: local.length + extra.length })}>
          {local.map((row) => (
            <RecordRow key={row.summary.id} row={localRowView(row, byId.get(row.summary.id), dir)} />
          ))}
          {extra.map((row) => (
            <RecordRow key={row.id} row={serverRowView(row, dir)} />
          ))}
        </List>
      )}
    </>
  );
}
