"""The texts a person reads (explanations, empty-list reasons, error details) in English and Chinese.

A small catalogue of message ids → one format string per language, rather than gettext/Babel:
there are two languages and a few dozen messages, every one has named format fields that the
tests check are the same in both languages, and nothing needs a compile step (.po → .mo) or a
locale database. Babel's number formats were no help either: zh_CN groups digits like English.

The texts live in two places: the explanations' and empty-list texts below (`CATALOGUE`), and the error
details and field reasons in `matching/error_texts.py` (`ERROR_TEXTS`, merged into `CATALOGUE` below).
Look there for any `error.*`, `problem.*`, `pydantic.*`, `json.*`, `csv.*` or `value.*` id.

`Wording` carries the reader's language (and the catalogue, for Chinese specialty names) into the
domain; the service picks the language from `?lang=` or `Accept-Language` (`pick_language`).
"""

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from matching.error_texts import ERROR_TEXTS
from matching.provinces import DIVISIONS
from matching.taxonomy import Catalogue

Lang = Literal["en", "zh"]
LANGUAGES: tuple[Lang, ...] = ("en", "zh")
DEFAULT_LANGUAGE: Lang = "en"

CATALOGUE: dict[str, dict[Lang, str]] = {
    # --- reasons: an enterprise (or a search for colleges) asks; one reason per matched specialty
    "reason.for_gap": {
        "en": "{specialty}{codes}: {graduates} graduates a year for your {headcount} {gap} ({fit})",
        "zh": "{specialty}{codes}：每年毕业 {graduates} 人，可满足贵方 {headcount} 名{gap}的需求（{fit}）",
    },
    "reason.for_gap_partly": {
        "en": "{specialty}{codes}: {graduates} graduates a year for your {headcount} {gap} ({fit})",
        "zh": "{specialty}{codes}：每年毕业 {graduates} 人，可满足贵方 {headcount} 名{gap}需求中的 "
              "{graduates} 名（{fit}）",
    },
    "reason.for_gaps": {
        "en": "{specialty}{codes}: {graduates} graduates a year for {headcount} people in {count} of your gaps: {gaps}",
        "zh": "{specialty}{codes}：每年毕业 {graduates} 人，对应贵方 {count} 个岗位共 {headcount} 人：{gaps}",
    },
    "reason.gap_item": {"en": "{gap} ({headcount}, {fit})", "zh": "{gap} {headcount} 人（{fit}）"},
    # --- a college (or a search for enterprises) asks; one reason per own specialty
    "reason.from_specialty": {
        "en": "{gap}{codes}: {headcount} wanted, for your {specialty} with {graduates} graduates a year ({fit})",
        "zh": "{gap}{codes}：需要 {headcount} 人，对应贵校每年毕业 {graduates} 人的{specialty}（{fit}）",
    },
    "reason.from_specialty_gaps": {
        "en": "Your {specialty}{codes} with {graduates} graduates a year, for {headcount} wanted in {count} of "
              "their gaps: {gaps}",
        "zh": "贵校{specialty}{codes}每年毕业 {graduates} 人，对应对方 {count} 个岗位共 {headcount} 人：{gaps}",
    },
    "fit.similarity": {"en": "similarity {similarity}", "zh": "相似度 {similarity}"},
    "fit.code": {"en": "same catalogue code", "zh": "同一专业代码"},
    "fit.class": {"en": "same catalogue class", "zh": "同一专业类"},
    "fit.category": {"en": "same catalogue category", "zh": "同一专业大类"},
    "profile.partnered": {"en": "You already cooperate", "zh": "双方已有合作"},
    "profile.collaborative": {"en": "Partners with profiles like yours, or like your partners "
                                    "(similarity {similarity})",
                              "zh": "与贵方或贵方合作伙伴相似的单位与其合作（相似度 {similarity}）"},
    "profile.name_mention": {"en": "One's name appears in the other's name or profile",
                             "zh": "一方的名称出现在另一方的名称或简介中"},
    "profile.same_city": {"en": "In the same city", "zh": "位于同一城市"},
    "profile.lexical": {"en": "Their profile shares your words (BM25, {share} of the most possible)",
                        "zh": "对方简介与贵方用词相近（BM25，为最高可能值的 {share}）"},
    "profile.kind_level": {"en": "Their kind of school trains for the levels asked",
                           "zh": "对方的院校类型适合所需层次"},
    "fit.inferred": {"en": "(inferred from the text)", "zh": "（由文本推断）"},
    "fit.keywords": {"en": "shared keywords: {words}", "zh": "共同关键词：{words}"},
    "reason.no_pair": {"en": "No unit pair reaches the similarity threshold",
                       "zh": "没有达到相似度阈值的专业与岗位配对"},
    # --- place
    "where.in": {"en": "in {place}", "zh": "位于{place}"},
    "where.abroad": {"en": "in another country ({place}, {country})", "zh": "在另一个国家（{country}，{place}）"},
    "where.same_province": {"en": "in the same province ({province})", "zh": "同在{province}"},
    "where.other_province": {"en": "in another province ({place})", "zh": "在另一省份（{place}）"},
    "distance.unknown": {"en": "Distance unknown, {relation}", "zh": "距离未知，{relation}"},
    "distance.near": {"en": "Less than 1 km away, {relation}", "zh": "相距不到 1 公里，{relation}"},
    "distance.km": {"en": "{km} km away, {relation}", "zh": "相距 {km} 公里，{relation}"},
    # --- cooperation modes and preferred provinces
    "modes.unstated": {"en": "Cooperation modes not stated by both sides", "zh": "双方未都写明合作方式"},
    "modes.common": {"en": "Both list {modes}", "zh": "双方都列出了{modes}"},
    "modes.none_common": {
        "en": "No cooperation mode in common (you list {asked}; they list {offered})",
        "zh": "没有共同的合作方式（贵方：{asked}；对方：{offered}）",
    },
    "provinces.inside": {"en": "Inside the enterprise's preferred provinces ({provinces})",
                         "zh": "在企业的意向省份内（{provinces}）"},
    "provinces.outside": {"en": "Outside the enterprise's preferred provinces ({provinces})",
                          "zh": "不在企业的意向省份内（{provinces}）"},
    # --- both views; `covered` is the people the paired specialties can supply (capped per specialty)
    "view.enterprise": {
        "en": "Their view: your gaps would take about {covered} of their {total} graduates a year ({share}); "
              "your view: they cover {coverage} of the {headcount} people you ask for",
        "zh": "对方视角：贵方岗位约需其每年 {total} 名毕业生中的 {covered} 名（{share}）；"
              "贵方视角：对方可满足贵方所需 {headcount} 人中的 {coverage}",
    },
    "view.college": {
        "en": "Their view: you could fill about {covered} of their {total} open positions ({share}); "
              "your view: they take {coverage} of your {graduates} graduates a year",
        "zh": "对方视角：贵校约可填补其 {total} 个岗位中的 {covered} 个（{share}）；"
              "贵方视角：对方可吸纳贵校每年 {graduates} 名毕业生中的 {coverage}",
    },
    # --- why a list of suggestions is empty
    "empty.no_units": {"en": "this {asker} has no {units} to match", "zh": "该{asker}没有可匹配的{units}"},
    "empty.no_index": {"en": "there are no {units} to match against yet", "zh": "目前还没有可供匹配的{units}"},
    "empty.filtered": {"en": "no {side} passes the filters", "zh": "没有符合筛选条件的{side}"},
    "empty.dissimilar": {"en": "no {unit} is similar enough (min_similarity {threshold})",
                         "zh": "没有足够相似的{unit}（min_similarity {threshold}）"},
    "empty.past_end": {"en": "fewer than {count} suggestions", "zh": "建议不足 {count} 条"},
}
CATALOGUE.update(ERROR_TEXTS)  # the error details and field reasons: matching/error_texts.py

# Words that fill the messages' fields: side and unit labels, cooperation modes, countries.
TERMS: dict[str, dict[Lang, str]] = {
    "college": {"en": "college", "zh": "院校"},
    "enterprise": {"en": "enterprise", "zh": "企业"},
    "search": {"en": "search", "zh": "搜索"},
    "colleges": {"en": "college", "zh": "院校"},
    "enterprises": {"en": "enterprise", "zh": "企业"},
    "specialty": {"en": "specialty", "zh": "专业"},
    "talent gap": {"en": "talent gap", "zh": "人才需求岗位"},
    "specialties": {"en": "specialties", "zh": "专业"},
    "talent gaps": {"en": "talent gaps", "zh": "人才需求岗位"},
    "talent_gaps": {"en": "talent gaps", "zh": "人才需求岗位"},
    "match list": {"en": "match list", "zh": "匹配清单"},
    "entry": {"en": "entry", "zh": "条目"},
    "job": {"en": "job", "zh": "任务"},
    "key": {"en": "key", "zh": "密钥"},
    "API key": {"en": "API key", "zh": "API 密钥"},
    "proposed": {"en": "proposed", "zh": "待定"},
    "accepted": {"en": "accepted", "zh": "已接受"},
    "rejected": {"en": "rejected", "zh": "已拒绝"},
    "withdrawn": {"en": "withdrawn", "zh": "已撤回"},
    "proposed or accepted": {"en": "proposed or accepted", "zh": "待定或已接受"},
    "accept": {"en": "accepted", "zh": "接受"},
    "reject": {"en": "rejected", "zh": "拒绝"},
    "withdraw": {"en": "withdrawn", "zh": "撤回"},
    "order_class": {"en": "order-based classes", "zh": "订单班"},
    "internship": {"en": "internships", "zh": "实习"},
    "apprenticeship": {"en": "apprenticeships", "zh": "学徒制"},
    "training_base": {"en": "training bases", "zh": "实训基地"},
    "teacher_training": {"en": "teacher placements", "zh": "教师企业实践"},
    "joint_research": {"en": "joint research", "zh": "联合研发"},
    "short_course": {"en": "short courses", "zh": "短期培训"},
    "employment": {"en": "graduate recruitment", "zh": "毕业生招聘"},
    # who a problem is about, and what an API key may not do (matching.error_texts)
    "partnership": {"en": "partnership", "zh": "合作关系"},
    "ready": {"en": "ready", "zh": "已就绪"},
    "building": {"en": "building", "zh": "生成中"},
    "failed": {"en": "failed", "zh": "失败"},
    "queued": {"en": "queued", "zh": "排队中"},
    "running": {"en": "running", "zh": "运行中"},
    "done": {"en": "done", "zh": "已完成"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "partnerships": {"en": "partnerships", "zh": "合作关系"},
    "impression": {"en": "impression", "zh": "展示记录"},
    "admin": {"en": "admin", "zh": "管理员"},
    "program_manager": {"en": "program_manager", "zh": "项目管理员"},
    "import partnerships": {"en": "import partnerships", "zh": "导入合作关系"},
    "import profiles": {"en": "import profiles", "zh": "导入院校或企业"},
    "manage API keys": {"en": "manage API keys", "zh": "管理 API 密钥"},
    "see or cancel jobs": {"en": "see or cancel jobs", "zh": "查看或取消任务"},
    "create colleges": {"en": "create colleges", "zh": "新建院校"},
    "create enterprises": {"en": "create enterprises", "zh": "新建企业"},
    "delete colleges": {"en": "delete colleges", "zh": "删除院校"},
    "delete enterprises": {"en": "delete enterprises", "zh": "删除企业"},
    "export colleges": {"en": "export colleges", "zh": "导出院校"},
    "export enterprises": {"en": "export enterprises", "zh": "导出企业"},
    "export partnerships": {"en": "export partnerships", "zh": "导出合作关系"},
}
COUNTRIES_ZH = {"CN": "中国", "KZ": "哈萨克斯坦", "UZ": "乌兹别克斯坦", "KG": "吉尔吉斯斯坦", "TJ": "塔吉克斯坦",
                "TM": "土库曼斯坦", "RU": "俄罗斯", "MN": "蒙古", "PK": "巴基斯坦", "AF": "阿富汗"}


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# Canonical English province name → its first Chinese spelling (from matching.provinces).
PROVINCES_ZH = {d.name: next((a for a in d.aliases if _has_cjk(a)), d.name)
                for divisions in DIVISIONS.values() for d in divisions}


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(lang: Lang, message_id: str, **fields: object) -> str:
    texts = CATALOGUE[message_id]
    return (texts.get(lang) or texts[DEFAULT_LANGUAGE]).format(**fields)


def term(lang: Lang, word: str) -> str:
    texts = TERMS.get(word)
    return texts[lang] if texts else word


def number(lang: Lang, n: float) -> str:
    """A whole number: 1,408 in English; 1408 in Chinese running text (grouping by thousands is
    foreign to it, and 万 would round)."""
    return f"{n:,.0f}" if lang == "en" else f"{n:.0f}"


def percent(lang: Lang, share: float) -> str:
    return f"{share:.0%}"


def listing(lang: Lang, items: Sequence[str]) -> str:
    """a, b and c / a、b和c."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if lang == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


def series(lang: Lang, items: Iterable[str]) -> str:
    """a, b, c / a、b、c: a plain enumeration (keywords, provinces)."""
    return ("、" if lang == "zh" else ", ").join(items)


def clauses(lang: Lang, items: Iterable[str]) -> str:
    """Parts of one sentence: ', ' / '，'."""
    return ("，" if lang == "zh" else ", ").join(items)


def items(lang: Lang, parts: Iterable[str]) -> str:
    """Items that contain commas themselves: '; ' / '；'."""
    return ("；" if lang == "zh" else "; ").join(parts)


def province(lang: Lang, name: str) -> str:
    return PROVINCES_ZH.get(name, name) if lang == "zh" else name


def country(lang: Lang, code: str) -> str:
    return COUNTRIES_ZH.get(code, code) if lang == "zh" else code


@dataclass(frozen=True)
class Wording:
    """The reader's language, and the catalogue that names coded specialties in Chinese."""

    lang: Lang = DEFAULT_LANGUAGE
    catalogue: Catalogue | None = field(default=None, compare=False)

    def __call__(self, message_id: str, **fields: object) -> str:
        return render(self.lang, message_id, **fields)

    def unit_name(self, name: str, codes: Sequence[str]) -> str:
        """A specialty named as in the catalogue reads as the catalogue's Chinese name in Chinese;
        any other name is the reader's own words, shown as written."""
        if self.lang != "zh" or self.catalogue is None:
            return name
        for code in codes:
            entry = self.catalogue.get(code)
            if entry and entry.name_en.casefold() == name.casefold() and entry.name_zh:
                return entry.name_zh
        return name

    def codes(self, codes: Sequence[str]) -> str:
        if not codes:
            return ""
        return f"（{'、'.join(codes)}）" if self.lang == "zh" else f" ({', '.join(codes)})"

    def term(self, word: str) -> str:
        return term(self.lang, word)


ENGLISH = Wording()

_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


@lru_cache(maxsize=512)  # browsers send the same few headers again and again; this runs on every request
def accepted(header: str | None) -> Lang | None:
    """The supported language the Accept-Language header prefers most (q-values honoured; zh-CN,
    zh-Hans, zh-TW all read as zh), or None."""
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate((header or "").split(",")[:32]):
        match = _TAG.match(part)
        if not match:
            continue
        primary = match.group(1).lower()
        try:
            q = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        if primary not in LANGUAGES or q <= 0:
            continue
        candidate: tuple[float, int, Lang] = (-q, position, "zh" if primary == "zh" else "en")
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def pick_language(query: str | None, accept_language: str | None) -> Lang:
    """`?lang=` wins (an unknown value reads as English); else Accept-Language; else English."""
    if query is not None:
        value = query.strip().lower().split("-")[0]
        return "zh" if value == "zh" else DEFAULT_LANGUAGE
    return accepted(accept_language) or DEFAULT_LANGUAGE


def same_fields(catalogue: Mapping[str, Mapping[Lang, str]] = CATALOGUE) -> list[str]:
    """Message ids whose languages do not use the same format fields (the tests want none)."""
    return [mid for mid, texts in catalogue.items()
            if set(texts) != set(LANGUAGES) or len({frozenset(fields_of(t)) for t in texts.values()}) != 1]
