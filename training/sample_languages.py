"""Part of the sample written as its users would write it: Chinese only, or Russian.

Most people who use the service write Chinese, and Central Asian partners Russian; an English-only
sample would hide how lexical matching and the catalogue bridge do on their texts. After the
English sample is drawn, a share of the Chinese colleges and enterprises is rewritten in Chinese
only (names, descriptions, specialty names, gap fields; some gaps lose their codes, as a post
often has none), and a share of the Central Asian enterprises in Russian. A stream of its own
draws which and how, so every other record, and every id, stays as it was.
"""

import random
from typing import Any

from training import sample_vocab as V

ZH_SHARE = 0.25  # of the Chinese colleges and enterprises
RU_SHARE = 0.4  # of the Central Asian enterprises
CODELESS_SHARE = 0.5  # of the rewritten gaps: the code is dropped, as many posts have none

Record = dict[str, Any]

INDUSTRY_ZH = {
    "Textiles": "纺织", "Dyeing and Finishing": "印染", "Chemicals": "化工", "Intelligent Manufacturing": "智能制造",
    "Electrical Automation": "电气自动化", "New Energy Vehicles": "新能源汽车", "Logistics": "物流",
    "Elderly Care": "养老服务", "Food Processing": "食品加工", "Petroleum and Natural Gas": "石油天然气",
    "Photovoltaics": "光伏", "Construction": "建筑施工", "Agriculture": "农业", "Hospitality": "酒店餐饮",
    "Mining and Metallurgy": "矿山冶金",
}
INDUSTRY_RU = {
    "Textiles": "текстильное производство", "Dyeing and Finishing": "крашение и отделка тканей",
    "Chemicals": "химическое производство", "Intelligent Manufacturing": "машиностроение",
    "Electrical Automation": "электроавтоматика", "New Energy Vehicles": "электромобили",
    "Logistics": "логистика", "Elderly Care": "уход за пожилыми", "Food Processing": "пищевая промышленность",
    "Petroleum and Natural Gas": "нефть и газ", "Photovoltaics": "солнечная энергетика",
    "Construction": "строительство", "Agriculture": "сельское хозяйство", "Hospitality": "гостиничный бизнес",
    "Mining and Metallurgy": "горнодобывающая промышленность и металлургия",
}
FIELD_ZH = {
    "ADAS test technician": "智能驾驶辅助系统测试员", "Activity coordinator": "活动策划专员",
    "Agricultural machinery operator": "农机手", "Agricultural technician": "农业技术员",
    "Assembly technician": "装配钳工", "Automotive electronics technician": "汽车电子维修工",
    "BIM modeller": "BIM建模员", "Batch reactor operator": "反应釜操作工", "Battery pack assembly operator": "电池包装配工",
    "Battery test technician": "电池测试员", "Building electrician": "建筑电工", "CNC machinist": "数控车工",
    "CNG station attendant": "加气站操作员", "Care kitchen staff": "养老院厨工", "Care nurse": "护理员",
    "Care unit supervisor": "护理主管", "Cell line operator": "电芯产线操作工", "Charging station O&M": "充电桩运维员",
    "Chemical process operator": "化工操作工", "Chinese-Russian interpreter": "中俄翻译",
    "Cold-chain QA": "冷链质检员", "Commissioning engineer": "调试工程师", "Construction labourers": "建筑工人",
    "Cook": "厨师", "Cost accountant assistant": "成本会计助理", "Cost estimator": "造价员",
    "Cotton ginning worker": "轧花工", "Crystal growth operator": "拉晶操作工", "Customs documentation clerk": "报关员",
    "DCS control room operator": "DCS中控操作员", "Delivery couriers": "快递配送员", "Dispatcher": "调度员",
    "Drilling crew": "钻井工", "Drone pilot": "无人机飞手", "Dyehouse technician": "印染车间技术员",
    "Dyeing and finishing technician": "印染技术员", "Dyeing process engineer": "染色工艺工程师",
    "E-commerce operator": "电商运营", "EV maintenance technician": "新能源汽车维修工", "Elderly caregiver": "养老护理员",
    "Electrician": "电工", "Energy storage technician": "储能运维员", "Equipment maintenance technician": "设备维修工",
    "Equipment mechanic": "机修工", "Equipment technician": "设备技术员", "Event coordinator": "会务专员",
    "Export sales assistant": "外贸业务员", "F&B supervisor": "餐饮主管", "Farm manager": "农场主管",
    "Farm workers": "农场工人", "Finishing machine operator": "定型机挡车工", "Food QA/QC technician": "食品质检员",
    "Food R&D assistant": "食品研发助理", "Forklift driver": "叉车司机", "Front desk agent": "前台接待",
    "Furnace operator": "炉前工", "Garment pattern maker": "服装制版师", "General workers": "普工",
    "Greenhouse grower": "温室种植员", "HSE officer": "安环员", "HSE supervisor": "安环主管",
    "Heavy equipment operator": "工程机械操作手", "High-voltage electrician": "高压电工", "Home-care worker": "居家养老护理员",
    "Housekeeping staff": "客房服务员", "IT support technician": "网管", "Industrial robot technician": "工业机器人运维员",
    "Instrument and control technician": "仪表工", "Instrument technician": "仪表维修工",
    "Knitting machine technician": "针织机修工", "Lab analyst": "化验员", "Lab colourist": "打样配色员", "Loom fixer": "织布机修工",
    "Maintenance electrician": "维修电工", "Maintenance fitter": "维修钳工", "Materials testing technician": "材料检测员",
    "Mechanical designer": "机械设计员", "Milk reception lab tester": "收奶化验员",
    "Mine electromechanical technician": "矿井机电工", "Mineral processing operator": "选矿工", "Module line technician": "组件产线技术员",
    "Mould fitter": "模具钳工", "Mud logger": "录井工", "Nonwoven line operator": "无纺布产线操作工",
    "Oil production operator": "采油工", "Oilfield chemistry lab technician": "油田化验工", "PLC programmer": "PLC编程员",
    "PV plant O&M technician": "光伏电站运维员", "Panel wiring staff": "配电柜接线员",
    "Pipeline and station technician": "输气管道场站工", "Polysilicon process operator": "多晶硅操作工",
    "Precast plant operator": "预制构件厂操作工", "Printing technician": "印花技术员", "Process engineer": "工艺工程师",
    "Production line operator": "产线操作工", "Production operators": "生产操作工", "Production supervisor": "生产主管",
    "Production workers": "生产工人", "Quality inspector": "质检员", "Rare earth process technician": "稀土冶炼工",
    "Rehabilitation assistant": "康复助理", "Rolling mill operator": "轧钢工", "Safety officer": "安全员",
    "Seasonal line operators": "季节性产线工", "Service advisor": "汽车服务顾问", "Sewing machine operators": "缝纫工",
    "Site safety officer": "工地安全员", "Site technician": "施工员", "Sorting centre operator": "分拣员",
    "Spinning operators": "纺纱挡车工", "Steel structure fitter": "钢结构安装工", "Substation electrical engineer": "变电站电气工程师",
    "Supply chain planner": "供应链计划员", "Surveyor": "测量员", "Test technician": "测试员",
    "Textile process engineer": "纺织工艺工程师", "Textile quality inspector": "纺织品检验员", "Tour guide": "导游",
    "Tour sales consultant": "旅游顾问", "Truck drivers": "货车司机", "Vehicle assembly worker": "整车装配工",
    "Veterinary technician": "兽医技术员", "Waiting staff": "餐厅服务员", "Warehouse keeper": "仓管员",
    "Warehouse operator": "仓库作业员", "Wastewater treatment operator": "污水处理工", "Welder": "焊工",
    "Workshop shift leader": "车间班长",
}
FIELD_RU = {
    "Chemical process operator": "оператор технологических установок", "Welder": "сварщик", "Electrician": "электрик",
    "Maintenance electrician": "электромонтёр по ремонту", "Lab analyst": "лаборант химического анализа",
    "Chinese-Russian interpreter": "переводчик китайского и русского", "Truck drivers": "водители грузовиков",
    "Warehouse keeper": "кладовщик", "Warehouse operator": "работник склада", "Forklift driver": "водитель погрузчика",
    "Sewing machine operators": "швеи", "Spinning operators": "прядильщицы", "Quality inspector": "контролёр качества",
    "Oil production operator": "оператор по добыче нефти", "Drilling crew": "буровая бригада",
    "Equipment mechanic": "слесарь-ремонтник", "Maintenance fitter": "слесарь по ремонту оборудования",
    "Production workers": "рабочие на производство", "General workers": "разнорабочие", "Cook": "повар",
    "Front desk agent": "администратор ресепшн", "Housekeeping staff": "горничные", "Waiting staff": "официанты",
    "Tour guide": "гид-экскурсовод", "Farm workers": "работники фермы", "Agricultural technician": "агроном",
    "Veterinary technician": "ветеринарный техник", "Cotton ginning worker": "рабочий хлопкоочистительного завода",
    "Furnace operator": "плавильщик", "Rolling mill operator": "вальцовщик", "Mineral processing operator": "обогатитель",
    "Mine electromechanical technician": "горный электромеханик", "Safety officer": "инженер по охране труда",
    "HSE officer": "специалист по охране труда и экологии", "CNC machinist": "оператор станков с ЧПУ",
    "Instrument technician": "слесарь КИПиА", "Instrument and control technician": "специалист по КИПиА",
    "Construction labourers": "строители", "Surveyor": "геодезист", "Site technician": "мастер участка",
    "EV maintenance technician": "механик по ремонту электромобилей", "Vehicle assembly worker": "сборщик автомобилей",
    "PV plant O&M technician": "техник солнечной электростанции", "Dispatcher": "диспетчер",
    "Customs documentation clerk": "декларант", "Export sales assistant": "менеджер по экспорту",
    "Elderly caregiver": "сиделка", "Care nurse": "медсестра по уходу", "Process engineer": "инженер-технолог",
    "Production line operator": "оператор производственной линии", "Food QA/QC technician": "технолог-лаборант пищевого производства",
    "Delivery couriers": "курьеры", "High-voltage electrician": "электромонтёр высоковольтных линий",
    "Dyeing and finishing technician": "технолог красильно-отделочного производства",
    "Dyehouse technician": "мастер красильного цеха", "Textile quality inspector": "контролёр качества тканей",
}
LEVEL_ZH = {"operator": "操作工", "technician": "技术员", "senior_technician": "高级技工", "engineer": "工程师",
            "manager": "主管"}
SIZE_ZH = {"micro": "小微", "small": "小型", "medium": "中型", "large": "大型"}
KIND_ZH = {"higher_vocational": "高等职业院校", "secondary_vocational": "中等职业学校", "technical_school": "技工学校",
           "university": "本科院校"}
CITY_RU = {
    "Almaty": "Алматы", "Astana": "Астана", "Shymkent": "Шымкент", "Karaganda": "Караганда", "Temirtau": "Темиртау",
    "Balkhash": "Балхаш", "Shakhtinsk": "Шахтинск", "Konayev": "Конаев", "Talgar": "Талгар", "Esik": "Есик",
    "Tashkent": "Ташкент", "Chirchiq": "Чирчик", "Almalyk": "Алмалык", "Angren": "Ангрен", "Bekabad": "Бекабад",
    "Yangiyul": "Янгиюль", "Samarkand": "Самарканд", "Kattakurgan": "Каттакурган", "Urgut": "Ургут",
    "Fergana": "Фергана", "Kokand": "Коканд", "Margilan": "Маргилан", "Quvasoy": "Кувасай", "Bishkek": "Бишкек",
    "Kant": "Кант", "Tokmok": "Токмок", "Kara-Balta": "Кара-Балта", "Osh": "Ош", "Kara-Suu": "Кара-Суу",
    "Uzgen": "Узген", "Dushanbe": "Душанбе", "Khujand": "Худжанд", "Isfara": "Исфара", "Istaravshan": "Истаравшан",
    "Ashgabat": "Ашхабад", "Anau": "Анау", "Tejen": "Теджен",
}
LEGAL_RU = {"KZ": "ТОО", "UZ": "ООО", "KG": "ОсОО", "TJ": "ООО", "TM": "ХО"}
SUFFIXES = ("LLP", "LLC", "HJ")

_ZH_GAP = ("招聘{field}{n}名，工作地点{city}。{extra}", "急需{field}{n}人，{req}。{extra}",
           "{field}（{n}名），{req}，{extra}", "因{industry}业务扩大，需{field}{n}名。{req}。{extra}")
_ZH_REQ = ("中专及以上学历", "持相关操作证优先", "有同岗位经验者优先，应届毕业生亦可", "能适应倒班", "吃苦耐劳，服从安排")
_ZH_EXTRA = ("包食宿。", "缴纳五险一金。", "欢迎应届毕业生。", "两班倒。", "试用期三个月。", "订单班学生优先录用。", "")
_RU_GAP = ("Требуются {field}, {n} чел. Место работы: {city}. {extra}", "Ищем: {field} ({n} чел.). {req}. {extra}",
           "{field} — {n} вакансий на производство ({industry}). {req}. {extra}")
_RU_REQ = ("Среднее специальное образование", "Опыт работы приветствуется, рассмотрим выпускников колледжей",
           "Знание русского языка обязательно", "Готовность к сменной работе")
_RU_EXTRA = ("Предоставляется общежитие.", "Доставка до места работы.", "Официальное трудоустройство.",
             "Выпускники колледжей приветствуются.", "")


def rewrite(colleges: list[Record], enterprises: list[Record], catalogue: dict[str, tuple[str, str]],
            seed: int) -> None:
    """Rewrite a share of the records in place (see the module's docstring). `catalogue`: code → (English
    name, Chinese name)."""
    rng = random.Random(f"languages/{seed}")
    cities = {c.name: c.name_zh for p in V.PROVINCES for c in p.cities}
    provinces = {p.name: p.name_zh for p in V.PROVINCES}
    for college in colleges:
        if college["country"] == "CN" and college["name_zh"] and rng.random() < ZH_SHARE:
            _college_zh(rng, college, catalogue, cities, provinces)
    for enterprise in enterprises:
        if enterprise["country"] == "CN" and enterprise["name_zh"]:
            if rng.random() < ZH_SHARE:
                _enterprise_zh(rng, enterprise, cities, provinces)
        elif enterprise["country"] != "CN" and rng.random() < RU_SHARE:
            _enterprise_ru(rng, enterprise)


def _college_zh(rng: random.Random, college: Record, catalogue: dict[str, tuple[str, str]],
                cities: dict[str, str | None], provinces: dict[str, str | None]) -> None:
    college["name"] = college["name_zh"]
    where = f"{provinces.get(college['province']) or ''}{cities.get(college['city']) or ''}"
    by_english = {en: zh for en, zh in catalogue.values()}
    for specialty in college["specialties"]:
        # A specialty without a code still carries the catalogue's English name (and maybe a direction).
        english = specialty["name"].split(" (")[0]
        name_zh = catalogue[specialty["code"]][1] if specialty["code"] in catalogue else (
            by_english.get(specialty["name"]) or by_english.get(english))
        if not name_zh:
            continue
        specialty["name"] = name_zh
        years = rng.choice(("三年制", "五年一贯制", "三年制"))
        employers = rng.choice((f"{where}及周边地区的企业", "省内外相关企业", "本地龙头企业"))
        specialty["description"] = (f"{years}，培养{name_zh}方向的技术技能人才，"
                                    f"{rng.choice(('校企共建实训基地', '开设订单班', '实行工学交替'))}，毕业生主要面向{employers}就业。")
    names = "、".join(dict.fromkeys(s["name"] for s in college["specialties"][:4]))
    grads = sum(s["annual_graduates"] for s in college["specialties"])
    college["description"] = (f"{college['name_zh']}位于{where}，是一所{KIND_ZH.get(college['kind'], '职业院校')}，"
                              f"开设{names}等专业，每年毕业生约{grads}人。"
                              + rng.choice(("学校与多家企业开展订单培养和顶岗实习。", "欢迎企业来校共建产业学院。", "")))


def _enterprise_zh(rng: random.Random, enterprise: Record, cities: dict[str, str | None],
                   provinces: dict[str, str | None]) -> None:
    enterprise["name"] = enterprise["name_zh"]
    industry = INDUSTRY_ZH.get(enterprise["industry"], "")
    city = cities.get(enterprise["city"]) or enterprise["city"]
    where = f"{provinces.get(enterprise['province']) or ''}{city}"
    enterprise["description"] = (f"本公司是位于{where}的{SIZE_ZH.get(enterprise['size'], '')}{industry}企业，"
                                 + rng.choice(("长期招聘职业院校毕业生。", "希望与职业院校开展订单班和实习合作。",
                                               "计划与周边院校共建实训基地。")))
    for gap in enterprise["talent_gaps"]:
        field = FIELD_ZH.get(gap["field"], gap["field"])
        gap["field"] = field
        gap["description"] = rng.choice(_ZH_GAP).format(
            field=field, n=gap["headcount"], city=city, industry=industry, req=rng.choice(_ZH_REQ),
            extra=rng.choice(_ZH_EXTRA)).strip()
        if gap["codes"] and rng.random() < CODELESS_SHARE:
            gap["codes"] = []


def _enterprise_ru(rng: random.Random, enterprise: Record) -> None:
    name = enterprise["name"]
    for suffix in SUFFIXES:
        name = name.removesuffix(f" {suffix}")
    enterprise["name"] = f"{LEGAL_RU.get(enterprise['country'], 'ООО')} «{name}»"
    industry = INDUSTRY_RU.get(enterprise["industry"], "")
    city = CITY_RU.get(enterprise["city"], enterprise["city"])
    enterprise["description"] = (f"Предприятие в городе {city}, отрасль: {industry}. "
                                 + rng.choice(("Ищем колледжи-партнёры для практики и трудоустройства выпускников.",
                                               "Готовы принимать студентов на производственную практику.",
                                               "Сотрудничаем с китайскими партнёрами, нужны кадры со знанием языков.")))
    for gap in enterprise["talent_gaps"]:
        field = FIELD_RU.get(gap["field"], gap["field"])
        gap["field"] = field
        gap["description"] = rng.choice(_RU_GAP).format(
            field=field, n=gap["headcount"], city=city, industry=industry, req=rng.choice(_RU_REQ),
            extra=rng.choice(_RU_EXTRA)).strip()
        if gap["codes"] and rng.random() < CODELESS_SHARE:
            gap["codes"] = []
