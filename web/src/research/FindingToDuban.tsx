// 成果转化: a finding becomes a draft 督办事项 with a short title the researcher can edit (the
// finding's first clause) and a lead unit chosen from suggestions (the researcher's unit, the
// research's unit). The office completes handlers, supervisors and the deadline before 交办,
// which the rules require (see domain/workflow.ts, rules::missing_for_assignment).

import { useState } from "react";
import type { DocHandle } from "@automerge/automerge-repo/slim";
import { Button, Space } from "antd-mobile";
import { useNavigate } from "react-router";

import { useActor, useClient, useDirectory } from "../app/context";
import { dubanFromFinding } from "../domain/factories";
import { str, text, val } from "../domain/scalar";
import { clock } from "../domain/time";
import { FINDING_TITLE_CHARS, leadUnitSuggestions, shortTitle } from "../domain/workflow";
import type { Finding, ResearchRecord } from "../generated/records";
import { useT } from "../i18n";
import { unitChoices, unitName } from "../sync/directory";

interface Props {
  id: string;
  handle: DocHandle<ResearchRecord>;
  research: ResearchRecord;
  finding: Finding;
  onCancel: () => void;
}

export function FindingToDuban({ id, handle, research, finding, onCancel }: Props) {
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const actor = useActor();
  const dir = useDirectory();
  const suggested = leadUnitSuggestions(actor.unit, val(research.unit));
  const [title, setTitle] = useState(() => shortTitle(text(finding.text)));
  const [lead, setLead] = useState(suggested[0] ?? "");
  const [error, setError] = useState(false);
  const others = unitChoices(dir).filter((c) => !suggested.includes(c.id));

  const create = () => {
    const trimmed = title.trim();
    if (!trimmed) return setError(true);
    const draft = dubanFromFinding(research, id, finding, actor.id, clock());
    draft.title = str(trimmed);
    draft.lead_unit = lead ? str(lead) : null;
    const item = client.create(draft);
    handle.change((d) => {
      const f = d.findings.find((x) => text(x.id) === text(finding.id));
      if (f) f.duban_ref = str(item.documentId as string);
    });
    navigate(`/items/${item.documentId}`);
  };

  return (
    <form className="action-form" data-testid="finding-draft-form" onSubmit={(e) => { e.preventDefault(); create(); }} noValidate>
      <label className="field-label">
        {t("finding.draft_title")}
        <input className="field" data-testid="finding-draft-title" maxLength={FINDING_TITLE_CHARS * 2} value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <label className="field-label">
        {t("finding.draft_lead_unit")}
        <select className="field" data-testid="finding-draft-lead-unit" value={lead} onChange={(e) => setLead(e.target.value)}>
          {suggested.map((u) => (
            <option key={u} value={u}>{unitName(dir, u)}</option>
          ))}
          <option value="">{t("form.choose")}</option>
          {others.map((c) => (
            <option key={c.id} value={c.id}>{c.label}</option>
          ))}
        </select>
      </label>
      <p className="hint">{t("finding.draft_hint")}</p>
      {error ? <p className="error" role="alert">{t("form.required")}</p> : null}
      <Space>
        <Button size="small" color="primary" type="submit" data-testid="finding-draft-create">{t("finding.draft_create")}</Button>
        <Button size="small" fill="none" onClick={onCancel}>{t("common.cancel")}</Button>
      </Space>
    </form>
  );
}
