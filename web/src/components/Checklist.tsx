// A multi-choice list of checkboxes (units, people), with a filter box once it grows long.
// Plain checkboxes rather than a popup picker: every choice stays one tap away and visible,
// and on a phone a filtered list is quicker than scrolling a wheel.

import { useState } from "react";

import { useT } from "../i18n";

export interface ChecklistOption {
  id: string;
  label: string;
  /** Shown after the label, smaller (e.g. the person's unit). */
  hint?: string;
}

interface Props {
  options: readonly ChecklistOption[];
  value: readonly string[];
  onChange: (value: string[]) => void;
  /** The test id of each option's checkbox. */
  testid: (id: string) => string;
  /** What the list is, for screen readers. */
  label: string;
  /** Shown when there is nothing to choose from. */
  empty?: string;
}

/** Past this many options a filter box appears. */
const FILTER_FROM = 8;

export function Checklist({ options, value, onChange, testid, label, empty }: Props) {
  const t = useT();
  const [filter, setFilter] = useState("");
  const q = filter.trim().toLowerCase();
  const matches = (o: ChecklistOption) =>
    !q || value.includes(o.id) || o.label.toLowerCase().includes(q) || (o.hint ?? "").toLowerCase().includes(q);
  return (
    <div className="checklist" role="group" aria-label={label}>
      {options.length > FILTER_FROM ? (
        <input
          className="field checklist-filter"
          type="search"
          placeholder={t("form.filter")}
          aria-label={t("form.filter")}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      ) : null}
      {options.length === 0 && empty ? <span className="hint">{empty}</span> : null}
      <div className="checklist-options">
        {options.map((o) => (
          <label key={o.id} className="check-option" hidden={!matches(o)}>
            <input
              type="checkbox"
              data-testid={testid(o.id)}
              checked={value.includes(o.id)}
              onChange={(e) => onChange(e.target.checked ? [...value, o.id] : value.filter((x) => x !== o.id))}
            />
            <span className="check-label">{o.label}</span>
            {o.hint ? <span className="hint">{o.hint}</span> : null}
          </label>
        ))}
      </div>
    </div>
  );
}
