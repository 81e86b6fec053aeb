"""Provincial-level divisions of the countries the matchmaker serves, with the spellings people actually type.

Colleges and enterprises fill in their province by hand, in English, pinyin, Wade-Giles, Russian transliteration
or Chinese, with or without "Autonomous Region"-style suffixes. Two records only match if both spellings land on
the same canonical name, so every alias we have seen or can foresee is listed here. Generic words ("Province",
"oblysy", 自治区 ...) need not be listed: `matching.geography` strips them before looking a name up.

`anchor` is a town that GeoNames files under the division. The gazetteer looks it up to learn the division's
GeoNames admin1 code, which is sturdier than hard-coding codes that GeoNames renumbers (Kazakhstan's 2022 regions
got codes like "12510143"). It is the administrative centre, except where that centre is a separate city of
republican significance (Bishkek for Chuy, Osh for Osh Region) or has its own entry (Arkadag for Ahal).
"""

from dataclasses import dataclass
from typing import Literal

Kind = Literal["region", "city"]


@dataclass(frozen=True, slots=True)
class Division:
    name: str  # the canonical short English name
    kind: Kind  # "city" for municipalities and cities of republican significance: "Almaty" is not "Almaty Region"
    anchor: str | None
    aliases: tuple[str, ...] = ()
    # GeoNames files Hong Kong, Macau and Taiwan as countries of their own: all of that country is this division.
    geonames_country: str | None = None


def _region(name: str, anchor: str | None, *aliases: str) -> Division:
    return Division(name, "region", anchor, aliases)


def _city(name: str, anchor: str | None, *aliases: str) -> Division:
    return Division(name, "city", anchor, aliases)


CHINA: tuple[Division, ...] = (
    _city("Beijing", "Beijing", "Peking", "Peiping", "Beijing Municipality", "北京", "北京市"),
    _city("Tianjin", "Tianjin", "Tientsin", "Tianjin Municipality", "天津", "天津市"),
    _region("Hebei", "Shijiazhuang", "Hopeh", "Hopei", "Hebei Province", "河北", "河北省"),
    # 山西 Shanxi and 陕西 Shaanxi differ in Chinese only by the first character and in pinyin only by the tone,
    # which the doubled "a" of the official romanisation stands for: neither may be an alias of the other.
    _region("Shanxi", "Taiyuan", "Shansi", "Shanxi Province", "山西", "山西省"),
    _region(
        "Inner Mongolia",
        "Hohhot",
        "Inner Mongolia Autonomous Region",
        "Nei Mongol",
        "Nei Monggol",
        "Nei Menggu",
        "Neimenggu",
        "Neimeng",
        "Nei Mongol Zizhiqu",
        "Nei Menggu Zizhiqu",
        "内蒙古",
        "内蒙古自治区",
        "內蒙古",
        "內蒙古自治區",
    ),
    _region("Liaoning", "Shenyang", "Liaoning Province", "辽宁", "辽宁省", "遼寧", "遼寧省"),
    _region("Jilin", "Changchun", "Kirin", "Jilin Province", "吉林", "吉林省"),
    _region(
        "Heilongjiang", "Harbin", "Heilungkiang", "Heilongjiang Province", "黑龙江", "黑龙江省", "黑龍江", "黑龍江省"
    ),
    _city("Shanghai", "Shanghai", "Shanghai Municipality", "上海", "上海市"),
    _region("Jiangsu", "Nanjing", "Kiangsu", "Jiangsu Province", "江苏", "江苏省", "江蘇", "江蘇省"),
    _region("Zhejiang", "Hangzhou", "Chekiang", "Zhejiang Province", "浙江", "浙江省"),
    _region("Anhui", "Hefei", "Anhwei", "Anhui Province", "安徽", "安徽省"),
    _region("Fujian", "Fuzhou", "Fukien", "Fujian Province", "福建", "福建省"),
    _region("Jiangxi", "Nanchang", "Kiangsi", "Jiangxi Province", "江西", "江西省"),
    _region("Shandong", "Jinan", "Shantung", "Shandong Province", "山东", "山东省", "山東", "山東省"),
    _region("Henan", "Zhengzhou", "Honan", "Henan Province", "河南", "河南省"),
    _region("Hubei", "Wuhan", "Hupeh", "Hupei", "Hubei Province", "湖北", "湖北省"),
    _region("Hunan", "Changsha", "Hunan Province", "湖南", "湖南省"),
    _region("Guangdong", "Guangzhou", "Kwangtung", "Guangdong Province", "广东", "广东省", "廣東", "廣東省"),
    _region(
        "Guangxi",
        "Nanning",
        "Kwangsi",
        "Guangxi Zhuang Autonomous Region",
        "Guangxi Zhuangzu Zizhiqu",
        "广西",
        "广西壮族自治区",
        "廣西",
        "廣西壯族自治區",
    ),
    _region("Hainan", "Haikou", "Hainan Province", "海南", "海南省"),
    _city("Chongqing", "Chongqing", "Chungking", "Chongqing Municipality", "重庆", "重庆市", "重慶", "重慶市"),
    _region("Sichuan", "Chengdu", "Szechwan", "Szechuan", "Sichuan Province", "四川", "四川省"),
    _region("Guizhou", "Guiyang", "Kweichow", "Guizhou Province", "贵州", "贵州省", "貴州", "貴州省"),
    _region("Yunnan", "Kunming", "Yunnan Province", "云南", "云南省", "雲南", "雲南省"),
    _region(
        "Tibet",
        "Lhasa",
        "Xizang",
        "Tibet Autonomous Region",
        "Xizang Autonomous Region",
        "Xizang Zizhiqu",
        "西藏",
        "西藏自治区",
        "西藏自治區",
    ),
    _region("Shaanxi", "Xi'an", "Shensi", "Shaanxi Province", "陕西", "陕西省", "陝西", "陝西省"),
    _region("Gansu", "Lanzhou", "Kansu", "Gansu Province", "甘肃", "甘肃省", "甘肅", "甘肅省"),
    _region("Qinghai", "Xining", "Tsinghai", "Qinghai Province", "青海", "青海省"),
    _region(
        "Ningxia",
        "Yinchuan",
        "Ningsia",
        "Ningxia Hui Autonomous Region",
        "Ningxia Huizu Zizhiqu",
        "宁夏",
        "宁夏回族自治区",
        "寧夏",
        "寧夏回族自治區",
    ),
    _region(
        "Xinjiang",
        "Urumqi",
        "Sinkiang",
        "Xinjiang Uygur Autonomous Region",
        "Xinjiang Uyghur Autonomous Region",
        "Xinjiang Uighur Autonomous Region",
        "Xinjiang Weiwuer Zizhiqu",
        "新疆",
        "新疆维吾尔自治区",
        "新疆維吾爾自治區",
    ),
    Division(
        "Hong Kong",
        "city",
        "Hong Kong",
        ("Hong Kong SAR", "Hong Kong Special Administrative Region", "HKSAR", "Xianggang", "香港", "香港特别行政区"),
        geonames_country="HK",
    ),
    Division(
        "Macau",
        "city",
        "Macau",
        ("Macao", "Macau SAR", "Macao SAR", "Macao Special Administrative Region", "Aomen", "澳门", "澳門"),
        geonames_country="MO",
    ),
    Division(
        "Taiwan",
        "region",
        "Taipei",
        ("Taiwan Province", "Formosa", "台湾", "臺灣", "台灣", "台湾省"),
        geonames_country="TW",
    ),
)

KAZAKHSTAN: tuple[Division, ...] = (
    _region(
        "Abai Region", "Semey", "Abay Region", "Abai oblysy", "Abay oblysy", "Abaiskaya oblast", "Abayskaya oblast"
    ),
    _region("Akmola Region", "Kokshetau", "Aqmola", "Aqmola oblysy", "Akmolinskaya oblast"),
    _region("Aktobe Region", "Aktobe", "Aqtobe", "Aqtöbe oblysy", "Aktyubinsk", "Aktyubinskaya oblast"),
    _region("Almaty Region", "Konayev", "Almaty oblysy", "Almatinskaya oblast", "Алматинская область"),
    _region("Atyrau Region", "Atyrau", "Atyrau oblysy", "Atyrauskaya oblast", "Guryev", "Guryevskaya oblast"),
    _region(
        "East Kazakhstan Region",
        "Ust-Kamenogorsk",
        "Shyghys Qazaqstan",
        "Shygys Kazakhstan",
        "Vostochno-Kazakhstanskaya oblast",
        "VKO",
    ),
    _region(
        "Jambyl Region",
        "Taraz",
        "Zhambyl",
        "Jambyl oblysy",
        "Zhambyl oblysy",
        "Zhambylskaya oblast",
        "Dzhambul",
        "Dzhambulskaya oblast",
    ),
    _region(
        "Jetisu Region", "Taldykorgan", "Zhetysu", "Zhetisu", "Jetisu oblysy", "Zhetysu oblysy", "Zhetysuskaya oblast"
    ),
    _region("Karaganda Region", "Karaganda", "Qaraghandy", "Karagandy", "Qaraghandy oblysy", "Karagandinskaya oblast"),
    _region("Kostanay Region", "Kostanay", "Qostanay", "Kustanay", "Qostanay oblysy", "Kostanayskaya oblast"),
    _region("Kyzylorda Region", "Kyzylorda", "Qyzylorda", "Qyzylorda oblysy", "Kyzylordinskaya oblast"),
    _region(
        "Mangystau Region",
        "Aktau",
        "Mangistau",
        "Mangghystau",
        "Mangystau oblysy",
        "Mangistauskaya oblast",
        "Mangyshlak",
    ),
    _region(
        "North Kazakhstan Region",
        "Petropavl",
        "Soltustik Qazaqstan",
        "Soltüstik Qazaqstan",
        "Severo-Kazakhstanskaya oblast",
        "SKO",
    ),
    _region("Pavlodar Region", "Pavlodar", "Pavlodar oblysy", "Pavlodarskaya oblast"),
    _region(
        "Turkistan Region",
        "Turkistan",
        "Turkestan",
        "Turkistan oblysy",
        "Turkestanskaya oblast",
        # Renamed in 2018 when Shymkent left it; older records still say South Kazakhstan.
        "South Kazakhstan",
        "Ontustik Qazaqstan",
        "Yuzhno-Kazakhstanskaya oblast",
        "YuKO",
    ),
    _region("Ulytau Region", "Zhezqazghan", "Ulytau oblysy", "Ulytauskaya oblast"),
    _region("West Kazakhstan Region", "Oral", "Batys Qazaqstan", "Zapadno-Kazakhstanskaya oblast", "ZKO"),
    _city("Astana", "Astana", "Nur-Sultan", "Nursultan", "Tselinograd", "Астана"),
    _city("Almaty", "Almaty", "Alma-Ata", "Almaty qalasy", "Алматы"),
    _city("Shymkent", "Shymkent", "Chimkent", "Шымкент"),
)

UZBEKISTAN: tuple[Division, ...] = (
    _region("Andijan Region", "Andijan", "Andijon", "Andijon viloyati", "Andizhan", "Andizhanskaya oblast"),
    _region("Bukhara Region", "Bukhara", "Buxoro", "Buxoro viloyati", "Bukharskaya oblast"),
    _region("Fergana Region", "Fergana", "Ferghana", "Farg'ona", "Farg'ona viloyati", "Ferganskaya oblast"),
    _region("Jizzakh Region", "Jizzakh", "Jizzax", "Jizzax viloyati", "Djizak", "Dzhizak", "Dzhizakskaya oblast"),
    _region("Khorezm Region", "Urgench", "Xorazm", "Xorazm viloyati", "Khwarazm", "Khorezmskaya oblast"),
    _region("Namangan Region", "Namangan", "Namangan viloyati", "Namanganskaya oblast"),
    _region("Navoiy Region", "Navoiy", "Navoi", "Navoiy viloyati", "Navoiyskaya oblast", "Navoiskaya oblast"),
    _region("Kashkadarya Region", "Karshi", "Qashqadaryo", "Qashqadaryo viloyati", "Kashkadarinskaya oblast"),
    _region("Samarkand Region", "Samarkand", "Samarqand", "Samarqand viloyati", "Samarkandskaya oblast"),
    _region("Sirdaryo Region", "Gulistan", "Syrdarya", "Sirdaryo viloyati", "Syrdarinskaya oblast"),
    _region("Surkhandarya Region", "Termez", "Surxondaryo", "Surxondaryo viloyati", "Surkhandarinskaya oblast"),
    _region("Tashkent Region", "Nurafshon", "Toshkent viloyati", "Tashkentskaya oblast"),
    _region(
        "Karakalpakstan",
        "Nukus",
        "Republic of Karakalpakstan",
        "Karakalpakstan Republic",
        "Qoraqalpog'iston",
        "Qoraqalpog'iston Respublikasi",
        "Qaraqalpaqstan",
    ),
    _city("Tashkent", "Tashkent", "Toshkent", "Toshkent shahri", "Ташкент"),
)

KYRGYZSTAN: tuple[Division, ...] = (
    _region("Batken Region", "Batken", "Batken oblusu", "Batkenskaya oblast"),
    _region("Chuy Region", "Tokmok", "Chui", "Chüy", "Chuy oblusu", "Chuyskaya oblast", "Chuiskaya oblast"),
    _region("Issyk-Kul Region", "Karakol", "Issyk Kul", "Ysyk-Kol", "Ysyk-Köl", "Issyk-Kulskaya oblast"),
    _region(
        "Jalal-Abad Region", "Jalal-Abad", "Jalalabad", "Dzhalal-Abad", "Jalal-Abad oblusu", "Dzhalal-Abadskaya oblast"
    ),
    _region("Naryn Region", "Naryn", "Naryn oblusu", "Narynskaya oblast"),
    _region("Osh Region", "Uzgen", "Osh oblusu", "Oshskaya oblast"),
    _region("Talas Region", "Talas", "Talas oblusu", "Talasskaya oblast"),
    _city("Bishkek", "Bishkek", "Frunze", "Bishkek shaary", "Бишкек"),
    _city("Osh", "Osh", "Osh shaary"),
)

TAJIKISTAN: tuple[Division, ...] = (
    _region("Sughd Region", "Khujand", "Sughd", "Sogd", "Soghd", "Sugd", "Leninabad", "Sogdiyskaya oblast"),
    _region("Khatlon Region", "Bokhtar", "Khatlon", "Hatlon", "Khatlonskaya oblast"),
    _region(
        "Gorno-Badakhshan",
        "Khorugh",
        "Gorno-Badakhshan Autonomous Region",
        "Gorno-Badakhshan Autonomous Province",
        "Mountainous Badakhshan",
        "Kuhistoni Badakhshon",
        "Badakhshan",
        "GBAO",
    ),
    _region(
        "Districts of Republican Subordination",
        "Vahdat",
        "Region of Republican Subordination",
        "Republican Subordination",
        "Nohiyahoi tobei jumhuri",
        "RRP",
        "DRS",
    ),
    _city("Dushanbe", "Dushanbe", "Stalinabad", "Dushanbe shahri", "Душанбе"),
)

TURKMENISTAN: tuple[Division, ...] = (
    _region("Ahal Region", "Änew", "Ahal", "Akhal", "Ahal welayaty", "Akhalskiy velayat"),
    _region("Balkan Region", "Balkanabat", "Balkan welayaty", "Balkanskiy velayat"),
    _region(
        "Dashoguz Region", "Dashoguz", "Dasoguz", "Daşoguz", "Dashhowuz", "Dashoguz welayaty", "Dashoguzskiy velayat"
    ),
    _region("Lebap Region", "Turkmenabat", "Lebap welayaty", "Lebapskiy velayat"),
    _region("Mary Region", "Mary", "Mary welayaty", "Maryyskiy velayat"),
    _city("Ashgabat", "Ashgabat", "Ashkhabad", "Aşgabat", "Ашхабад"),
    # A city with the status of a region since 2023.
    _city("Arkadag", "Arkadag"),
)

DIVISIONS: dict[str, tuple[Division, ...]] = {
    "CN": CHINA,
    "KZ": KAZAKHSTAN,
    "UZ": UZBEKISTAN,
    "KG": KYRGYZSTAN,
    "TJ": TAJIKISTAN,
    "TM": TURKMENISTAN,
}
