// Workload records: valid 督办事项 (supervised matters) in the exact shape duyan reads
// (shared/src/records: `type = "duban"`, `schema_version = 1`, the fields of `DubanItem`).
// Text is assembled from phrase pools with a seeded PRNG, so every record differs but a run is
// reproducible, and nothing is fetched from the network.
//
// Shape rules (shared/src/records/mod.rs): short strings (title, enums, ids, entry texts) are
// Automerge scalar strings, written as `ImmutableString`, because automerge JS 3 stores a plain
// JS string as collaborative text, which duyan does not read where a string is expected. Only
// `detail` is text. Instants are integer milliseconds since the epoch. Optional fields without
// a value are left out. People and units are referred to by id.
//
// Beware of zero: automerge JS 3.5 stores the integer 0 inside an object literal (in
// `Automerge.from`, or an entry pushed onto a list) as a float, which duyan refuses where an
// integer is expected (`percent`), and wraps `new Int(0)` there as a map. Only assignment of a
// bare 0 to a property in a change stores an integer. So no number written here is 0.

import { ImmutableString } from "@automerge/automerge"

/** A scalar (non-collaborative) Automerge string. */
const str = value => new ImmutableString(value)

/** mulberry32: a tiny seeded PRNG, good enough to vary benchmark text. */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)]
const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1))

const DISTRICTS = ["城东区", "城西区", "高新区", "经开区", "滨江新区", "北湖区", "南山县", "临港片区", "老城片区", "青石镇"]
// Units as records name them (by id) and as the text names them. The bench does not create
// them in duyan's directory: nothing checks that a unit id exists, and the bench user is a
// supervisor, who reads every record whatever its units.
const UNITS = [
  ["housing", "市住房和城乡建设局"], ["ecology", "市生态环境局"], ["transport", "市交通运输局"],
  ["agriculture", "市农业农村局"], ["education", "市教育局"], ["health", "市卫生健康委员会"],
  ["water", "市水务局"], ["emergency", "市应急管理局"], ["market", "市市场监督管理局"],
  ["planning", "市自然资源和规划局"], ["development", "市发展和改革委员会"], ["hr", "市人力资源和社会保障局"],
  ["city", "市城市管理局"], ["commerce", "市商务局"], ["civil", "市民政局"], ["culture", "市文化广电旅游局"],
]
const SUBJECTS = [
  "老旧小区改造", "黑臭水体整治", "农村人居环境整治", "中小学学位扩容", "背街小巷提升",
  "城市内涝治理", "重点项目用地保障", "企业开办“一网通办”", "安全生产专项整治", "农贸市场升级改造",
  "公共充电设施建设", "社区养老服务中心建设", "河道清淤疏浚", "群众信访积案化解", "历史遗留不动产登记",
  "工程建设领域欠薪治理", "餐饮油烟污染治理", "燃气管道老化更新", "校园周边交通秩序整治", "高标准农田建设",
]
const ASKS = ["推进", "加快", "落实", "抓好", "统筹推进", "限期完成", "扎实开展"]
const SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
const GIVEN = [
  "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚",
  "秀英", "桂英", "建国", "志强", "红梅", "玉兰", "文斌", "海燕", "晓东", "春梅", "鹏飞", "宇航", "思远", "子涵", "雨欣",
  "国栋", "丽娟", "建华", "永刚", "淑珍",
]
// Where a matter comes from: the phrase in the text and the `source` value it stands for.
const SOURCES = [
  ["市委常委会议定事项", "meeting_decision"], ["市政府常务会议议定事项", "meeting_decision"],
  ["人大代表建议", "superior"], ["政协委员提案", "superior"], ["市长信箱群众来信", "public_report"],
  ["“12345”热线集中反映问题", "public_report"], ["上级巡视反馈问题", "superior"], ["领导批示件", "leader_instruction"],
]
const CATEGORIES = ["城市建设", "生态环境", "民生保障", "安全生产", "营商环境", "乡村振兴"]
const OPENERS = [
  "已召开专题推进会", "牵头单位组织相关部门现场踏勘", "分管领导带队实地督导", "已完成前期摸底调查",
  "会同属地街道逐户走访", "召开联席会议研究解决", "已形成工作方案并报市政府审定", "组织第三方机构开展评估",
  "已列入年度重点工作清单", "专班集中办公",
]
const MIDDLES = [
  "明确了责任分工和时间节点", "梳理出问题清单{n}项、已销号{k}项", "完成投资约{n}万元", "涉及群众{n}户，已签约{k}户",
  "施工单位已进场作业", "招标文件已挂网公示", "资金已拨付到位{p}%", "排查风险隐患{n}处并全部建立台账",
  "协调解决用地、审批等堵点问题{k}个", "群众满意度回访达到{p}%",
]
const ISSUES = [
  "但部分点位因雨季施工进度偏慢", "个别住户诉求尚未达成一致", "跨部门审批衔接仍需加强",
  "配套资金缺口约{n}万元", "管线迁改涉及多家产权单位", "个别标段存在人员不足问题", "周边群众对施工噪音有反映",
]
const NEXTS = [
  "下一步将倒排工期、挂图作战，确保按期完成", "下一步将加强调度，每周报送进展", "拟于本月底前完成竣工验收",
  "将继续做好群众解释工作", "已提请市政府协调解决资金问题", "将组织回头看，防止问题反弹", "计划下周召开现场推进会",
]
const STATUSES_DONE = ["已完成阶段性任务", "进展符合预期", "进度滞后，已约谈责任单位", "基本完成，待验收"]

/** {n} a count, {k} a part of that count, {p} a percentage. */
function fill(rand, template) {
  const n = int(rand, 3, 980)
  return template
    .replace("{n}", String(n))
    .replace("{k}", String(int(rand, 1, n)))
    .replace("{p}", String(int(rand, 35, 99)))
}

export function personName(rand) {
  return pick(rand, SURNAMES) + pick(rand, GIVEN)
}

/** One progress note of roughly 60 to 120 characters. */
export function progressText(rand) {
  const used = new Set()
  // A phrase from `list` not yet used in this note (or any, once all are used).
  const fresh = list => {
    const left = list.filter(x => !used.has(x))
    const chosen = pick(rand, left.length ? left : list)
    used.add(chosen)
    return chosen
  }
  let text = `${fresh(OPENERS)}，${fill(rand, fresh(MIDDLES))}`
  let judged = false
  const tail = [
    () => `，${fill(rand, fresh(MIDDLES))}`,
    () => `；${fill(rand, fresh(ISSUES))}`,
    // At most one verdict per note, or a note could call itself both late and done.
    () => (judged ? `，${fill(rand, fresh(MIDDLES))}` : ((judged = true), `。${pick(rand, STATUSES_DONE)}`)),
  ]
  while (text.length < 60 + int(rand, 0, 20)) text += pick(rand, tail)()
  text += `。${fill(rand, fresh(NEXTS))}。`
  return text.length > 120 ? text.slice(0, 119) + "。" : text
}

const DAY_MS = 86_400_000
const SHANGHAI_OFFSET_MS = 8 * 3_600_000

/** A deadline given as a day: 23:59 of the day `ms` falls on in Asia/Shanghai (UTC+8, no DST). */
function endOfShanghaiDay(ms) {
  const dayStart = Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS
  return dayStart + DAY_MS - 60_000
}

/**
 * A 督办事项 in progress, created by user `author` (a user id: `created_by`, the supervisor
 * and the author of its 20 progress entries). `seed` makes it reproducible; ids stay unique per
 * seed.
 */
export function dubanRecord(seed, author) {
  if (typeof author !== "string" || !author) throw new Error("dubanRecord needs the author's user id")
  const rand = rng(seed)
  const district = pick(rand, DISTRICTS)
  const subject = pick(rand, SUBJECTS)
  const [leadId, leadName] = pick(rand, UNITS)
  const coUnits = [...new Set(Array.from({ length: int(rand, 0, 2) }, () => pick(rand, UNITS)[0]))].filter(
    id => id !== leadId,
  )
  const [sourceText, source] = pick(rand, SOURCES)
  const start = Date.UTC(2025, int(rand, 0, 5), int(rand, 1, 28), int(rand, 0, 9))
  const progress = []
  let at = start
  let percent = 0
  for (let i = 0; i < 20; i++) {
    at += int(rand, 1, 6) * DAY_MS + int(rand, 0, 36_000_000)
    percent = Math.min(95, percent + int(rand, 1, 8))
    progress.push(progressEntry(rand, `p-${seed.toString(36)}-${i}`, author, { at, percent }))
  }
  const ask = pick(rand, ASKS)
  return {
    type: str("duban"),
    schema_version: 1,
    title: str(`关于${ask}${district}${subject}工作的督办事项`),
    detail:
      `根据${sourceText}，请${leadName}牵头，会同${district}人民政府${pick(rand, ASKS)}${subject}工作，` +
      `${fill(rand, pick(rand, MIDDLES))}，并于每月25日前报送工作进展。${personName(rand)}同志对此作出批示，要求压实责任、限时办结。`,
    source: str(source),
    level: str(pick(rand, ["company", "office", "special"])),
    category: str(pick(rand, CATEGORIES)),
    urgency: str(rand() < 0.2 ? "urgent" : "normal"),
    is_major: rand() < 0.1,
    lead_unit: str(leadId),
    co_units: coUnits.map(str),
    handlers: [],
    supervisors: [str(author)],
    created_by: str(author),
    created_at: start,
    assigned_at: start + int(rand, 1, 48) * 3_600_000,
    deadline: endOfShanghaiDay(start + int(rand, 120, 240) * DAY_MS),
    feedback_cycle: str("monthly"),
    milestones: [],
    status: str("in_progress"),
    progress,
    urges: [],
    extension_requests: [],
    reviews: [],
    instructions: [],
    site_checks: [],
  }
}

/**
 * A 反馈 / 进展 entry (`Progress`): `id`, `at` (ms), `by` (a user id), `percent`, `text`, no
 * photos. The edit scenario appends these; a supervisor may append progress.
 */
export function progressEntry(rand, id, by, { at = Date.now(), percent } = {}) {
  if (percent === 0) throw new Error("percent 0 would be stored as a float (see the top of records.mjs)")
  const entry = { id: str(id), at, by: str(by), text: str(progressText(rand)), photos: [] }
  // Optional: absent rather than undefined, which Automerge refuses.
  if (percent !== undefined) entry.percent = percent
  return entry
}
