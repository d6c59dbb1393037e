// Workload records shaped like a 督办事项 (supervised matter): the document type duyan's
// clients write. Text is assembled from phrase pools with a seeded PRNG, so every record
// differs but a run is reproducible, and nothing is fetched from the network.

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
const UNITS = [
  "市住房和城乡建设局", "市生态环境局", "市交通运输局", "市农业农村局", "市教育局", "市卫生健康委员会",
  "市水务局", "市应急管理局", "市市场监督管理局", "市自然资源和规划局", "市发展和改革委员会",
  "市人力资源和社会保障局", "市城市管理局", "市商务局", "市民政局", "市文化广电旅游局",
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
const SOURCES = [
  "市委常委会议定事项", "市政府常务会议议定事项", "人大代表建议", "政协委员提案", "市长信箱群众来信",
  "“12345”热线集中反映问题", "上级巡视反馈问题", "领导批示件",
]
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

const iso = ms => new Date(ms).toISOString()

/** A 督办事项 with 20 progress entries. `seed` makes it reproducible; ids stay unique per seed. */
export function dubanRecord(seed) {
  const rand = rng(seed)
  const district = pick(rand, DISTRICTS)
  const subject = pick(rand, SUBJECTS)
  const lead = pick(rand, UNITS)
  const start = Date.UTC(2025, int(rand, 0, 5), int(rand, 1, 28), int(rand, 0, 9))
  const handlers = Array.from({ length: int(rand, 2, 4) }, () => personName(rand))
  const progress = []
  let at = start
  let percent = 0
  for (let i = 0; i < 20; i++) {
    at += int(rand, 1, 6) * 86_400_000 + int(rand, 0, 36_000_000)
    percent = Math.min(95, percent + int(rand, 1, 8))
    progress.push({
      id: `p-${seed.toString(36)}-${i}`,
      at: iso(at),
      by: pick(rand, handlers),
      text: progressText(rand),
      percent,
    })
  }
  return {
    type: "duban",
    schema_version: 1,
    title: `关于${pick(rand, ASKS)}${district}${subject}工作的督办事项`,
    detail:
      `根据${pick(rand, SOURCES)}，请${lead}牵头，会同${district}人民政府${pick(rand, ASKS)}${subject}工作，` +
      `${fill(rand, pick(rand, MIDDLES))}，并于每月25日前报送工作进展。${personName(rand)}同志对此作出批示，要求压实责任、限时办结。`,
    lead_unit: lead,
    handlers,
    deadline: iso(start + int(rand, 120, 240) * 86_400_000).slice(0, 10),
    status: "in_progress",
    progress,
  }
}

/** A fresh progress entry for edit scenarios. */
export function progressEntry(rand, seq, by) {
  return { id: `e-${seq}`, at: new Date().toISOString(), by, text: progressText(rand), percent: Math.min(99, seq % 100) }
}
