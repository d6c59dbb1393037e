// 督办单 and 催办通知单 as the print view shows them: the same sections as the server's Word
// documents (server/src/documents/duban.rs), from the record on the phone.

import type { DubanItem, PhotoRef, Urge } from "../generated/records";
import { text, val, vals } from "../domain/scalar";
import { enumLabel } from "../i18n";
import type { DirectoryData } from "../sync/directory";
import { personName, unitName } from "../sync/directory";
import { attachedLine, cnDate, cnDateTime, FieldTable, Grid, Heading, Issued, Lines, numeral, Photos, Signatures, zhT } from "./parts";

function joined(list: string[]): string {
  return list.length ? list.join("、") : "—";
}

function matterRows(item: DubanItem, dir: DirectoryData): [string, string][] {
  const urgency = enumLabel(zhT, "urgency", text(item.urgency)) + (item.is_major ? "（重大事项）" : "");
  return [
    ["督办事项", text(item.title)],
    ["文\u3000\u3000号", val(item.doc_no) ?? "—"],
    ["事项来源", enumLabel(zhT, "source", text(item.source))],
    ["工作层级", enumLabel(zhT, "level", text(item.level))],
    ["紧急程度", urgency],
    ["主办单位", val(item.lead_unit) ? unitName(dir, val(item.lead_unit)) : "—"],
    ["协办单位", joined(vals(item.co_units).map((u) => unitName(dir, u)))],
    ["承 办 人", joined(vals(item.handlers).map((u) => personName(dir, u)))],
    ["督 办 员", joined(vals(item.supervisors).map((u) => personName(dir, u)))],
    ["交办时间", cnDate(item.assigned_at)],
    ["办结时限", cnDate(item.deadline)],
    ["反馈要求", enumLabel(zhT, "cycle", text(item.feedback_cycle))],
    ["办理状态", enumLabel(zhT, "status", text(item.status))],
  ];
}

function caption(kind: string, photo: PhotoRef): string {
  return [kind, photo.taken_at ? cnDateTime(photo.taken_at) : null, val(photo.caption)].filter(Boolean).join(" · ");
}

export function DubanPaper({ item, dir, issuer, today }: { item: DubanItem; dir: DirectoryData; issuer: string; today: number }) {
  let section = 1;
  const next = (title: string) => <h2>{`${numeral(section++)}、${title}`}</h2>;
  const instructions = item.instructions ?? [];
  const milestones = item.milestones ?? [];
  const progress = item.progress ?? [];
  const checks = item.site_checks ?? [];
  const reviews = item.reviews ?? [];
  return (
    <article className="paper" data-testid="paper" data-kind="duban">
      <Heading issuer={issuer} docNo={val(item.doc_no)} />
      <h1>{"督\u3000办\u3000单"}</h1>
      <FieldTable rows={matterRows(item, dir)} />
      {next("督办内容及要求")}
      <Lines value={String(item.detail ?? "")} fallback="（无）" />
      {instructions.length ? (
        <>
          {next("领导批示")}
          {instructions.map((i) => <p key={text(i.id)}>{`${text(i.text)}（${personName(dir, text(i.by))}，${cnDate(i.at)}）${attachedLine(i.attachments)}`}</p>)}
        </>
      ) : null}
      {milestones.length ? (
        <>
          {next("阶段节点")}
          <Grid head={["节点", "计划完成", "实际完成"]} rows={milestones.map((m) => [text(m.title), cnDate(m.due), cnDate(m.done_at)])} />
        </>
      ) : null}
      {next("办理情况")}
      {progress.length ? (
        <Grid
          head={["日期", "进度", "进展情况", "反馈人"]}
          rows={progress.map((p) => [
            cnDate(p.at),
            p.percent === null || p.percent === undefined ? "—" : `${p.percent}%`,
            text(p.text) + (val(p.problems) ? `\n存在问题：${val(p.problems)}` : "") + attachedLine(p.attachments),
            personName(dir, text(p.by)),
          ])}
        />
      ) : (
        <p>尚无进展反馈。</p>
      )}
      {checks.length ? (
        <>
          {next("现场督办")}
          {checks.map((c, n) => (
            <section key={text(c.id)}>
              <h3>{`（${numeral(n + 1)}）${cnDate(c.at)}，${text(c.place)}`}</h3>
              <p>{`${text(c.findings)}（${personName(dir, text(c.by))}）${attachedLine(c.attachments)}`}</p>
              <Photos
                photos={[
                  ...(c.before_photos ?? []).map((photo) => ({ photo, caption: caption("整改前", photo) })),
                  ...(c.after_photos ?? []).map((photo) => ({ photo, caption: caption("整改后", photo) })),
                ]}
              />
            </section>
          ))}
        </>
      ) : null}
      {reviews.length || item.evaluation ? (
        <>
          {next("审核与评价")}
          {reviews.map((r) => (
            <p key={text(r.id)}>{`${cnDate(r.at)}，${personName(dir, text(r.by))}审核：${text(r.verdict) === "pass" ? "通过" : "退回重办"}。${text(r.opinion)}`}</p>
          ))}
          {item.evaluation ? (
            <p>{`${cnDate(item.evaluation.at)}，${personName(dir, text(item.evaluation.by))}评价：${item.evaluation.score}分，${enumLabel(zhT, "rating", text(item.evaluation.rating))}。${text(item.evaluation.comment)}`}</p>
          ) : null}
        </>
      ) : null}
      <Signatures who={["督办员", "主办单位负责人"]} />
      <Issued issuer={issuer} date={cnDate(today)} />
    </article>
  );
}

const NOTICE_TITLE: Record<string, string> = { reminder: "督办提醒单", urge: "催办通知单", notice: "催办通报单" };

export function UrgePaper({ item, urge, dir, issuer }: { item: DubanItem; urge: Urge; dir: DirectoryData; issuer: string }) {
  const number = (item.urges ?? []).findIndex((u) => text(u.id) === text(urge.id)) + 1;
  const docNo = val(item.doc_no);
  const lead = val(item.lead_unit);
  const lastAt = Math.max(0, ...(item.progress ?? []).map((p) => p.at));
  const level = enumLabel(zhT, "urge", text(urge.level));
  const rows = matterRows(item, dir).filter(([label]) => !["事项来源", "工作层级", "反馈要求"].includes(label));
  rows.push(["催办等级", level], ["催办时间", cnDateTime(urge.at)], ["催 办 人", personName(dir, text(urge.by))]);
  return (
    <article className="paper" data-testid="paper" data-kind="urge">
      <Heading issuer={issuer} docNo={docNo ? `${docNo}-催${number}` : null} />
      <h1>{NOTICE_TITLE[text(urge.level)] ?? "催办通知单"}</h1>
      <p className="addressee">{`${lead ? unitName(dir, lead) : "各承办单位"}：`}</p>
      <p>
        {`你单位承办的“${text(item.title)}”${docNo ? `（${docNo}）` : ""}，办结时限为${item.deadline ? cnDate(item.deadline) : "规定时限"}，` +
          `${lastAt ? `最近一次反馈为${cnDate(lastAt)}` : "至今未反馈办理进展"}。现予${level}：`}
      </p>
      <Lines value={text(urge.message)} fallback="请抓紧办理并及时反馈。" />
      <p>请于收到本通知后及时将办理情况书面反馈督办部门。</p>
      <FieldTable rows={rows} />
      <Signatures who={["承办单位签收人"]} />
      <Issued issuer={issuer} date={cnDate(urge.at)} />
    </article>
  );
}
