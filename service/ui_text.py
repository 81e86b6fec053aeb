"""The reviewer page's own words in Chinese, keyed by their English text.

Keyed by the English so templates and scripts stay readable and anything untranslated shows in
English rather than as an id. Templates call `t(...)`; scripts get the chosen language's table in
a JSON data block (not a script: the page's CSP runs only its own files) and call `MM.t(...)`.
`tests/test_ui.py` checks that every text the templates and scripts ask for is here.
"""

from matching.messages import Lang

ZH: dict[str, str] = {
    # base and navigation
    "reviewer": "审核", "Match lists": "匹配清单", "List {id}": "清单 {id}", "Report": "报告", "Sign out": "退出登录",
    "Sign in": "登录", "Language": "语言",
    "every figure comes from the API with your key": "所有数字均由 API 按您的密钥提供",
    "Signed in · key …{tail}": "已登录 · 密钥 …{tail}",
    # lists page
    "Refresh": "刷新", "Name": "名称", "Scope": "范围", "Status": "状态", "Entries": "条目", "Accepted": "已接受",
    "Rejected": "已拒绝", "Coverage": "覆盖率", "Created": "创建时间",
    "No match lists yet: create one with the form.": "还没有匹配清单：请用右侧表单新建。",
    "New list": "新建清单", "Xinjiang enterprises, autumn round": "新疆企业，秋季批次",
    "Scope: separate several values with commas; empty means all.": "范围：多个值用逗号分隔；留空表示全部。",
    "Provinces (of the enterprises)": "省份（企业所在）", "Countries (ISO codes)": "国家（ISO 代码）",
    "Industries": "行业", "Catalogue codes of the gaps": "岗位的专业代码", "Minimum score": "最低分数",
    "Colleges per gap": "每个岗位的院校数", "Create list": "创建清单", "Building the list…": "正在生成清单…",
    "Building the list": "正在生成清单",
    "Cancel": "取消", "everything": "全部", "codes {codes}": "专业代码 {codes}", "{n} enterprises": "{n} 家企业",
    "{n} colleges": "{n} 所院校",
    "List “{name}” is ready: {entries} entries, {coverage} of the demand covered.":
        "清单“{name}”已生成：{entries} 条，覆盖需求的 {coverage}。",
    "Open it": "打开", "Building “{name}”": "正在生成“{name}”",
    # one list
    "Match list {id}": "匹配清单 {id}", "New round": "新一轮",
    "Allocate unfilled demand to the capacity left": "把未满足的需求分配给剩余容量", "Allocating…": "正在分配…",
    "any": "全部", "proposed": "待定", "accepted": "已接受", "rejected": "已拒绝", "withdrawn": "已撤回",
    "building": "生成中", "ready": "已就绪", "failed": "失败", "cancelled": "已取消", "queued": "排队中",
    "running": "运行中", "done": "完成",
    "Province": "省份", "Industry": "行业", "College id": "院校编号", "Enterprise id": "企业编号", "Text": "文字",
    "name, gap, specialty": "名称、岗位、专业", "Per page": "每页", "Apply": "应用", "Clear": "清除",
    "Enterprise": "企业", "Talent gap": "人才需求岗位", "College": "院校", "Specialty": "专业", "Headcount": "人数",
    "Score": "分数", "No entries match.": "没有符合条件的条目。",
    "Click an entry to see why it was proposed and to decide on it.": "点击一个条目，查看推荐理由并作出决定。",
    "Accept": "接受", "Reject…": "拒绝…", "Withdraw": "撤回", "Why reject this entry? (required)": "拒绝理由（必填）",
    "Reject entry": "拒绝此条目", "Score components": "分数构成", "Feature": "特征", "Value": "取值", "Weight": "权重",
    "Contribution": "贡献", "Matched pairs": "匹配的专业与岗位", "Similarity": "相似度", "Keywords": "关键词",
    "Codes": "专业代码", "Reasons": "推荐理由", "Comments": "评论", "Add a comment": "添加评论", "Comment": "评论",
    "Proposed": "待定", "Withdrawn": "已撤回", "Demand": "需求", "{n} headcount": "{n} 人", "Allocated": "已分配",
    "Min score": "最低分数", "Rounds": "轮次", "{date} by {who}": "{date}，{who}", "Error": "错误",
    "Show only this {what}": "只显示此{what}", "Show only {label}": "只显示{label}", "only": "只看",
    "college": "院校", "enterprise": "企业",
    "Entry {id} · round {round}": "条目 {id} · 第 {round} 轮", "{n} of the gap's headcount": "岗位人数中的 {n} 人",
    "Capacity": "容量",
    "{graduates} graduates a year for {headcount} wanted (coverage {coverage})":
        "每年毕业 {graduates} 人，需求 {headcount} 人（覆盖率 {coverage}）",
    "Distance": "距离", "unknown": "未知", "Both sides": "双方视角",
    "enterprise's view {asker}, college's view {candidate} (combined {combined})":
        "企业视角 {asker}，院校视角 {candidate}（综合 {combined}）",
    "Decided": "决定", "Reason": "理由", "score": "总分", "No comments yet.": "还没有评论。",
    "Entry {id} {status}.": "条目 {id}：{status}。", "A rejection needs a reason.": "拒绝需要填写理由。",
    "Comment added to entry {id}.": "已为条目 {id} 添加评论。", "The new round": "新一轮",
    "Round {round} allocated.": "第 {round} 轮已分配。",
    "Round {round} allocated: {entries} entries in the list.": "第 {round} 轮已分配：清单共 {entries} 条。",
    "{what} was cancelled.": "{what}已取消。", "{what} failed: {error}": "{what}失败：{error}",
    "unknown error": "未知错误",
    "semantic": "语义", "keywords": "关键词", "catalogue": "专业目录", "capacity": "容量", "distance": "距离",
    "modes": "合作方式", "provinces": "省份", "reciprocity": "双向匹配",
    "code": "同一代码", "class": "同一专业类", "category": "同一大类", "none": "无",
    # paging, jobs, errors
    "‹ Previous": "‹ 上一页", "Next ›": "下一页 ›", "{first}–{last} of {total}": "第 {first}–{last} 条，共 {total} 条",
    "Queued…": "排队中…", "Cancelling…": "正在取消…", "{done} of {total} enterprises": "{done}/{total} 家企业",
    "about {s} s left": "约剩 {s} 秒", "the service cannot be reached ({message})": "无法连接服务（{message}）",
    "the service answered {status}": "服务返回 {status}", "Dismiss": "关闭",
    # sign in
    "Paste an API key (an admin or program-manager key can create lists and decide; a college or enterprise key "
    "can read what concerns it). The key stays in this browser tab only.":
        "粘贴 API 密钥（管理员或项目负责人的密钥可以创建清单并作出决定；院校或企业的密钥可以查看与其相关的内容）。"
        "密钥只保存在此浏览器标签页中。",
    "API key": "API 密钥", "Signed in to matchmaker {version}.": "已登录 matchmaker {version}。",
    "That API key is unknown or revoked.": "该 API 密钥不存在或已被吊销。", "Sign in to continue.": "请先登录。",
    # report
    "Report of match list {id}": "匹配清单 {id} 的报告", "Export:": "导出：", "Entries CSV": "条目 CSV",
    "Entries JSON": "条目 JSON", "Report CSV": "报告 CSV", "Report JSON": "报告 JSON",
    "Coverage by province": "各省覆盖率",
    "Share of the talent gaps' headcount allocated (proposed or accepted).": "已分配（待定或已接受）的岗位人数占比。",
    "College utilisation": "院校利用率",
    "Allocated graduates as a share of each college's capacity (darker: accepted).":
        "已分配毕业生占各院校容量的比例（深色：已接受）。",
    "By province": "按省份", "By industry": "按行业", "Colleges": "院校",
    "Every college with a specialty in the list's entries; capacity is those specialties' graduates a year.":
        "清单条目涉及的每所院校；容量为这些专业的年毕业人数。",
    "Accepted headcount": "已接受人数", "Utilisation": "利用率", "Unfilled talent gaps": "未满足的人才需求",
    "Missing": "缺口", "Why": "原因", "Near misses": "接近的候选",
    "Every talent gap in scope is filled.": "范围内的人才需求都已满足。", "Report: {name}": "报告：{name}",
    "Demand in scope": "范围内需求", "{n} talent gaps": "{n} 个岗位", "{coverage} covered (proposed + accepted)":
        "覆盖 {coverage}（待定 + 已接受）", "Gaps filled": "已满足的岗位",
    "{partly} partly, {unfilled} unfilled": "部分满足 {partly}，未满足 {unfilled}", "{n} proposed": "待定 {n}",
    "Accepted entries": "已接受条目", "Rejected entries": "已拒绝条目", "{n} withdrawn": "已撤回 {n}",
    "Saved {name}.": "已保存 {name}。", "Nothing to draw.": "没有可绘制的数据。",
    "No demand in scope.": "范围内没有需求。",
    "No college has an allocation.": "没有院校获得分配。", "(none)": "（无）",
    "no candidate reaches the list's minimum score": "没有候选达到清单的最低分数",
    "the suitable colleges' capacity is used up": "合适院校的容量已用完",
    "the scope filters out every candidate": "范围筛掉了所有候选",
    "no college trains anything close": "没有院校培养相近的专业",
    "its entries were rejected": "其条目被拒绝", "(score {score})": "（分数 {score}）",
}


def texts(lang: Lang) -> dict[str, str]:
    """The table for `lang`: empty for English (the keys are the English)."""
    return ZH if lang == "zh" else {}


def translate(lang: Lang, text: str, **fields: object) -> str:
    return texts(lang).get(text, text).format(**fields) if fields else texts(lang).get(text, text)
