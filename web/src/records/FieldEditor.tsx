// The editor of one field in the detail view: a draft kept apart from the document until
// 保存, so a field is one change (not one per keystroke) and a half-made choice is never
// synced. The value is checked as the new item form checks it.

import { useState, type FormEvent, type ReactNode } from "react";
import { Button, Space } from "antd-mobile";

import { useT, type MessageKey } from "../i18n";

interface Props<T> {
  field: string;
  initial: T;
  check?: (draft: T) => MessageKey | null;
  onSave: (draft: T) => void;
  onClose: () => void;
  children: (draft: T, set: (value: T) => void) => ReactNode;
}

export function FieldEditor<T>({ field, initial, check, onSave, onClose, children }: Props<T>) {
  const t = useT();
  const [draft, setDraft] = useState<T>(initial);
  const [error, setError] = useState<MessageKey | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Saving what was there makes no change (and no entry in the record's history).
    if (JSON.stringify(draft) === JSON.stringify(initial)) return onClose();
    const problem = check?.(draft) ?? null;
    setError(problem);
    if (problem) return;
    onSave(draft);
    onClose();
  };
  return (
    <form className="field-editor" data-testid={`editor-${field}`} onSubmit={submit} noValidate>
      {children(draft, setDraft)}
      {error ? (
        <span className="error" role="alert" data-testid={`error-${field}`}>
          {t(error)}
        </span>
      ) : null}
      <Space>
        <Button size="small" color="primary" type="submit" data-testid={`save-${field}`}>
          {t("common.save")}
        </Button>
        <Button size="small" fill="none" data-testid={`cancel-${field}`} onClick={onClose}>
          {t("common.cancel")}
        </Button>
      </Space>
    </form>
  );
}
