// 调研报告 as the print view shows it: the sections of the server's Word document
// (server/src/documents/research.rs), from the record on the phone.

import type { ResearchRecord } from "../generated/records";
import { text, val, vals } from "../domain/scalar";
import { enumLabel } from "../i18n";
import type { DirectoryData } from "../sync/directory";
import { personName, unitName } from "../sync/directory";
import { attachedLine, cnDate, cnDateTime, FieldTable, Grid, Heading, Issued, Lines, numeral, Photos, Signatures, zhT } from "./parts";

const SUGGESTION: Record<string, string> = { proposed: "已提出", adopted: "已采纳", implemented: "已落实" };

/** The topic as 关于…的调研报告 takes it. */
function topic(title: string): string {
  const t = title.trim().replace(/^关于/, "");
  for (const suffix of ["的调研报告", "调研报告", "的调研", "调研"]) if (t.endsWith(suffix)) return t.slice(0, -suffix.length);
  return t;
}

export function ResearchPaper({ record, dir, issuer, today }: { record: ResearchRecord; dir: DirectoryData; issuer: string; today: number }) {
  const unit = unitName(dir, text(record.unit));
  const team = [text(record.lead), ...vals(record.members)].map((p) => personName(dir, p));
  const questions = vals(record.questions);
  const visits = record.visits ?? [];
  const findings = record.findings ?? [];
  const suggestions = record.suggestions ?? [];
  const instructions = record.instructions ?? [];
  const report = record.report;
  const problems = String(report?.problems ?? "");
  const countermeasures = String(report?.countermeasures ?? "");
  return (
    <article className="paper" data-testid="paper" data-kind="research">
      <Heading issuer={issuer} />
      <h1>{`关于${topic(text(record.title))}的调研报告`}</h1>
      <p className="subtitle">{`${unit}调研组（${team.join("、")}）`}</p>
      <FieldTable
        rows={[
          ["调研课题", text(record.title)],
          ["课题类型", enumLabel(zhT, "rkind", text(record.kind))],
          ["牵头单位", unit],
          ["调研时间", record.period ? `${cnDate(record.period.from)}至${cnDate(record.period.to)}` : "—"],
          ["关键问题", questions.length ? questions.map((q, i) => `${i + 1}. ${q}`).join("\n") : "—"],
        ]}
      />
      <h2>一、基本情况</h2>
      <Lines value={String(report?.basic_situation ?? "")} fallback="（待撰写）" />
      {visits.length ? (
        <>
          <p>{`调研组共开展走访、座谈等${visits.length}次：`}</p>
          <Grid
            head={["日期", "地点", "方式", "调研对象"]}
            rows={visits.map((v) => [cnDate(v.at), text(v.place), enumLabel(zhT, "method", text(v.method)), text(v.people_met)])}
          />
        </>
      ) : null}
      <h2>二、存在问题</h2>
      {problems.trim() || findings.length === 0 ? <Lines value={problems} fallback="（待撰写）" /> : null}
      {findings.map((f, n) => {
        const visit = visits.find((v) => text(v.id) === val(f.visit_id));
        return (
          <section key={text(f.id)}>
            <h3>{`（${numeral(n + 1)}）${text(f.text)}`}</h3>
            <p>{`类别：${text(f.category) || "—"}；程度：${enumLabel(zhT, "severity", text(f.severity))}${visit ? `，发现于${text(visit.place)}` : ""}（${personName(dir, text(f.by))}，${cnDate(f.at)}）。`}</p>
            {val(f.suggestion) ? <p>{`建议：${val(f.suggestion)}`}</p> : null}
            <Photos
              photos={(f.photos ?? []).map((photo, k) => ({
                photo,
                caption: [`图${n + 1}-${k + 1}`, photo.taken_at ? cnDateTime(photo.taken_at) : null, val(photo.caption)].filter(Boolean).join(" · "),
              }))}
            />
          </section>
        );
      })}
      <h2>三、原因分析</h2>
      <Lines value={String(report?.cause_analysis ?? "")} fallback="（待撰写）" />
      <h2>四、对策建议</h2>
      {countermeasures.trim() || suggestions.length === 0 ? <Lines value={countermeasures} fallback="（待撰写）" /> : null}
      {suggestions.map((s, n) => (
        <p key={text(s.id)}>{`（${numeral(n + 1)}）${text(s.text)}（${SUGGESTION[text(s.status)] ?? text(s.status)}，${personName(dir, text(s.by))}）`}</p>
      ))}
      {instructions.length ? (
        <>
          <h2>五、领导批示</h2>
          {instructions.map((i) => <p key={text(i.id)}>{`${text(i.text)}（${personName(dir, text(i.by))}，${cnDate(i.at)}）${attachedLine(i.attachments)}`}</p>)}
        </>
      ) : null}
      <Signatures who={["调研组负责人", "审核人"]} />
      <Issued issuer={`${unit}调研组`} date={cnDate(today)} />
    </article>
  );
}
