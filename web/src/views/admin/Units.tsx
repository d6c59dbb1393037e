// Admins: the units, as the tree they form. Add a unit below any other; rename one; move one
// (with everything below it) elsewhere. A move below itself or its own sub-units is not
// offered, and the server refuses it anyway.

import { useCallback, useEffect, useState } from "react";
import { Button, DotLoading, ErrorBlock, List, NavBar } from "antd-mobile";
import { useNavigate } from "react-router";

import { admin, unitAndBelow, unitTree, type AdminUnit } from "../../sync/admin";
import { useT } from "../../i18n";
import { useClient } from "../../app/context";
import { failureText } from "./Users";

type Mode = { kind: "list" } | { kind: "new" } | { kind: "edit"; unit: AdminUnit };

export default function Units() {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const [units, setUnits] = useState<AdminUnit[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [mode, setMode] = useState<Mode>({ kind: "list" });

  const load = useCallback(() => {
    admin.units().then(
      (all) => {
        setUnits(all);
        setFailed(false);
      },
      () => setFailed(true),
    );
  }, []);
  useEffect(load, [load]);

  if (mode.kind !== "list" && units) {
    return (
      <UnitForm
        unit={mode.kind === "edit" ? mode.unit : null}
        units={units}
        onCancel={() => setMode({ kind: "list" })}
        onSaved={(saved) => {
          setUnits((all) => [...(all ?? []).filter((u) => u.id !== saved.id), saved]);
          setMode({ kind: "list" });
          void client.directory.refresh();
        }}
      />
    );
  }
  const nameOf = (id: string | null) => units?.find((u) => u.id === id)?.name ?? id ?? "";
  return (
    <>
      <NavBar onBack={() => navigate("/settings")}>{t("admin.units")}</NavBar>
      <div className="section">
        <Button block color="primary" data-testid="admin-unit-add" disabled={!units} onClick={() => setMode({ kind: "new" })}>
          {t("admin.unit_add")}
        </Button>
      </div>
      {failed ? <ErrorBlock status="default" title={t("admin.failed")} description={<Button size="small" onClick={load}>{t("common.retry")}</Button>} /> : null}
      {units === null && !failed ? <div className="loading"><DotLoading /> {t("common.loading")}</div> : null}
      {units ? (
        <List data-testid="admin-units">
          {unitTree(units).map(({ unit, depth }) => (
            <List.Item
              key={unit.id}
              data-testid={`admin-unit-${unit.id}`}
              style={{ paddingLeft: 12 + depth * 20 }}
              description={unit.parent ? `${unit.id} · ${t("admin.parent")}: ${nameOf(unit.parent)}` : unit.id}
              onClick={() => setMode({ kind: "edit", unit })}
            >
              {depth > 0 ? "└ " : ""}
              {unit.name}
            </List.Item>
          ))}
        </List>
      ) : null}
    </>
  );
}

interface FormProps {
  unit: AdminUnit | null;
  units: AdminUnit[];
  onCancel: () => void;
  onSaved: (unit: AdminUnit) => void;
}

function UnitForm({ unit, units, onCancel, onSaved }: FormProps) {
  const t = useT();
  const [id, setId] = useState("");
  const [name, setName] = useState(unit?.name ?? "");
  const [parent, setParent] = useState(unit?.parent ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Where this unit may not go: itself and what lies below it.
  const barred = unit ? unitAndBelow(units, unit.id) : new Set<string>();

  const save = async () => {
    if ((!unit && !id.trim()) || !name.trim()) return setError(t("admin.unit_missing"));
    setBusy(true);
    setError(null);
    try {
      onSaved(
        unit
          ? await admin.patchUnit(unit.id, { name, parent: parent || null })
          : await admin.createUnit({ id: id.trim(), name, parent: parent || null }),
      );
    } catch (e) {
      setError(failureText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <NavBar onBack={onCancel}>{unit ? unit.name : t("admin.unit_add")}</NavBar>
      <form className="login-form" data-testid="admin-unit-form" onSubmit={(e) => (e.preventDefault(), void save())} noValidate>
        {unit ? (
          <p className="hint">{t("admin.unit_id")}: {unit.id}</p>
        ) : (
          <label className="field-label">
            {t("admin.unit_id")}
            <input className="field" data-testid="admin-unit-id" autoCapitalize="none" maxLength={100} placeholder={t("admin.unit_id_hint")} value={id} onChange={(e) => setId(e.target.value)} />
          </label>
        )}
        <label className="field-label">
          {t("admin.unit_name")}
          <input className="field" data-testid="admin-unit-name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field-label">
          {t("admin.parent")}
          <select className="field" data-testid="admin-unit-parent" value={parent} onChange={(e) => setParent(e.target.value)}>
            <option value="">{t("admin.top_level")}</option>
            {unitTree(units)
              .filter(({ unit: u }) => !barred.has(u.id))
              .map(({ unit: u, depth }) => (
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
        <Button block color="primary" type="submit" loading={busy} data-testid="admin-unit-save">
          {unit ? t("common.save") : t("admin.unit_create")}
        </Button>
      </form>
    </>
  );
}
