// The way from a record to its paper: the print view, where the Word document and (closed
// matters) the dossier are downloaded too.

import { Link } from "react-router";

import { useT } from "../i18n";

export function PaperLink({ to }: { to: string }) {
  const t = useT();
  return (
    <div className="section">
      <Link className="adm-button adm-button-default adm-button-block adm-button-shape-default" data-testid="paper-open" to={to}>
        {t("paper.open")}
      </Link>
    </div>
  );
}
