"""The distinctive words of an organisation's name: what the name-mention feature compares.

Enterprise-run schools carry their founder's name ("Zijin Mining College", "巨化技师学院"), and a
partner's name is often written into the other's profile. Generic words of organisation names
(college, vocational, company, 学院, 有限公司, …) and the profile's own place names say nothing
about a tie, so they are left out.
"""

import re

from matching.keywords import keywords

_GENERIC = [
    "college", "colleges", "vocational", "technical", "technology", "technological", "school", "institute",
    "university", "polytechnic", "academy", "secondary", "higher", "professional", "education", "training",
    "center", "centre", "centr", "branch", "campus", "department", "faculty", "company", "corp", "corporation",
    "group", "limited", "ltd", "llc", "jsc", "pjsc", "inc", "holding", "holdings", "industrial", "industry",
    "industries", "national", "provincial", "municipal", "city", "county", "district", "people", "state",
    "republic", "international", "science", "sciences", "china", "chinese", "new", "first", "second", "third",
    "general", "main", "central", "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "joint", "stock", "enterprise", "enterprises", "factory", "plant", "association", "alliance", "park", "zone",
    "bureau", "government"
]
GENERIC = frozenset(_GENERIC)
# Two-character pieces of Chinese names that every second school or company has.
GENERIC_ZH = frozenset([
    "学院", "职业", "技术", "学校", "有限", "公司", "集团", "股份", "科技", "高等", "专科", "大学",
    "中学", "技师", "技工", "职高", "中心", "工程", "工业", "责任", "限公", "份有", "司有", "业学",
    "术学", "业技", "师学", "工学", "等专", "科学", "校区", "分校", "分公", "省级", "市级", "国家",
    "中国", "实业", "控股", "发展", "研究", "究院",
])
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def name_tokens(name: str, name_zh: str | None = None, city: str | None = None,
                province: str | None = None) -> frozenset[str]:
    """English name keywords less generic and place words, and two-character pieces of the Chinese name
    less the generic ones."""
    places = keywords(" ".join(p for p in (city, province) if p))
    words = {w for w in keywords(name) if w not in GENERIC and w not in places and len(w) >= 4}
    for run in _CJK.findall(name_zh or ""):
        words.update(run[i:i + 2] for i in range(len(run) - 1) if run[i:i + 2] not in GENERIC_ZH)
    return frozenset(words)
