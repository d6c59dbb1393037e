// Whether this record's changes made here are all on the server: true only when the heads the
// server acknowledged include every local head.

import { Tag } from "antd-mobile";

import type { IndexEntry } from "../sync/localIndex";
import { isSynced } from "../sync/localIndex";
import { useT } from "../i18n";

export function SyncedMark({ entry }: { entry: IndexEntry | undefined }) {
  const t = useT();
  const synced = entry ? isSynced(entry) : false;
  return (
    <Tag color={synced ? "success" : "warning"} fill="outline" data-testid="synced-mark" data-synced={synced ? "true" : "false"}>
      {synced ? t("sync.synced") : t("sync.pending")}
    </Tag>
  );
}
