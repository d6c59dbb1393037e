// The print view of a record's document (督办单, 催办通知单, 调研报告): the paper laid out for A4
// from the record on the phone, so it prints (or saves as PDF) from any browser, offline too;
// with the Word document and, for a closed matter, the dossier to download from the server.

import { useState } from "react";
import { Button, Toast } from "antd-mobile";
import { useNavigate, useParams } from "react-router";

import "./print.css";
import { Loading } from "../app/App";
import { useDirectory, useNow, useRecord } from "../app/context";
import { ApiFailure, downloadFile, Offline } from "../auth/api";
import { text } from "../domain/scalar";
import type { AnyRecord, DubanItem, ResearchRecord } from "../generated/records";
import { useT } from "../i18n";
import { DubanPaper, UrgePaper } from "./DubanPaper";
import { useIssuer } from "./heading";
import { ResearchPaper } from "./ResearchPaper";

const CLOSED = new Set(["closed", "evaluated"]);

/** Downloads `path` as `name`, saying why when it cannot. */
function useDownload(): [string | null, (path: string, name: string, key: string) => void] {
  const t = useT();
  const [busy, setBusy] = useState<string | null>(null);
  const start = (path: string, name: string, key: string) => {
    setBusy(key);
    downloadFile(path, name)
      .catch((error: unknown) => {
        const content = error instanceof Offline ? t("paper.offline") : error instanceof ApiFailure ? error.message : t("paper.failed");
        Toast.show({ content });
      })
      .finally(() => setBusy(null));
  };
  return [busy, start];
}

export default function PrintView() {
  const { id = "", urge } = useParams();
  const t = useT();
  const navigate = useNavigate();
  const record = useRecord<AnyRecord>(id);
  const dir = useDirectory();
  const issuer = useIssuer();
  const now = useNow();
  const [busy, download] = useDownload();
  if (record.state === "loading") return <Loading />;
  if (record.state === "unavailable") return <p className="notice">{t("detail.unavailable")}</p>;
  const doc = record.doc;
  const kind = text(doc.type);
  const title = text(doc.title);
  const found = kind === "duban" && urge ? (doc as DubanItem).urges?.find((u) => text(u.id) === urge) : undefined;
  const closed = kind === "duban" && CLOSED.has(text((doc as DubanItem).status));
  const base = `/api/records/${encodeURIComponent(id)}`;
  let paper;
  if (kind === "duban" && urge) {
    paper = found ? <UrgePaper item={doc as DubanItem} urge={found} dir={dir} issuer={issuer} /> : <p className="notice">{t("detail.unavailable")}</p>;
  } else if (kind === "duban") {
    paper = <DubanPaper item={doc as DubanItem} dir={dir} issuer={issuer} today={now} />;
  } else {
    paper = <ResearchPaper record={doc as ResearchRecord} dir={dir} issuer={issuer} today={now} />;
  }
  const word = urge ? `${base}/urges/${encodeURIComponent(urge)}/notice.docx` : `${base}/document.docx`;
  const wordName = `${urge ? "催办通知单" : kind === "duban" ? "督办单" : "调研报告"}-${title}.docx`;
  return (
    <div className="paper-screen">
      <div className="paper-tools">
        <Button size="small" onClick={() => navigate(-1)}>{t("paper.back")}</Button>
        <Button size="small" color="primary" data-testid="paper-print" onClick={() => window.print()}>{t("paper.print")}</Button>
        <Button size="small" data-testid="paper-word" loading={busy === "word"} onClick={() => download(word, wordName, "word")}>
          {t("paper.word")}
        </Button>
        {closed && !urge ? (
          <Button size="small" data-testid="paper-dossier" loading={busy === "dossier"} onClick={() => download(`${base}/dossier.zip`, `归档-${title}.zip`, "dossier")}>
            {t("paper.dossier")}
          </Button>
        ) : null}
      </div>
      {paper}
    </div>
  );
}
