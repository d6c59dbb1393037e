// A textarea bound to an Automerge text field. Each edit is applied with `updateText`, a diff
// against the current text, so concurrent edits from other phones interleave instead of one
// replacing the other. While an input method composes (pinyin), the draft stays local and is
// written when the composition ends, so half-typed syllables never reach the document.

import { useState } from "react";

interface Props {
  value: string;
  onCommit: (value: string) => void;
  readOnly?: boolean;
  testid: string;
  rows?: number;
  placeholder?: string;
  label?: string;
}

export function CollabText({ value, onCommit, readOnly, testid, rows = 4, placeholder, label }: Props) {
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <textarea
      className="field textarea"
      data-testid={testid}
      aria-label={label}
      rows={rows}
      placeholder={placeholder}
      readOnly={readOnly}
      value={draft ?? value}
      onCompositionStart={(e) => setDraft(e.currentTarget.value)}
      onCompositionEnd={(e) => {
        setDraft(null);
        onCommit(e.currentTarget.value);
      }}
      onChange={(e) => {
        if (draft !== null) setDraft(e.target.value);
        else onCommit(e.target.value);
      }}
    />
  );
}
