"""Places in a goal (``上海的会员``, ``广东地区``, ``江浙沪``, ``customers in California``).

A small gazetteer: Chinese provinces and major cities, the places of the sample populations,
and their English names. Each place has a key (``Goal.constraints.regions``) and the needles
that find it in the store's ``region`` trait (``省/市`` labels such as ``上海/上海`` in a Chinese
store, ISO 3166-2 codes such as ``US-CA`` in an English one, or free text from an import):
one needle becomes ``region contains NEEDLE``, several become one ``any`` of them. A place
group with no list (``华南``, ``West Coast``) or a place name the gazetteer lacks
(``喀什地区``, ``customers in Springfield``) becomes a question naming it.
"""

from __future__ import annotations

import re

from agents.goal import words as gw
from agents.goal.extract import Scan
from userops.cdp.segments.spec import TraitPredicate

_CN = (
    "北京 beijing|上海 shanghai|天津 tianjin|重庆 chongqing|广州 guangzhou|深圳 shenzhen"
    "|杭州 hangzhou|南京 nanjing|苏州 suzhou|成都 chengdu|武汉 wuhan|西安 xian,xi'an|厦门 xiamen"
    "|青岛 qingdao"
    "|长沙 changsha|郑州 zhengzhou|沈阳 shenyang|昆明 kunming|大连 dalian|宁波 ningbo|无锡 wuxi"
    "|东莞 dongguan|佛山 foshan|合肥 hefei|福州 fuzhou|济南 jinan|哈尔滨 harbin|长春 changchun"
    "|石家庄 shijiazhuang|南昌 nanchang|南宁 nanning|贵阳 guiyang|太原 taiyuan|兰州 lanzhou"
    "|乌鲁木齐 urumqi|海口 haikou|三亚 sanya|珠海 zhuhai|温州 wenzhou|拉萨 lhasa|呼和浩特 hohhot"
    "|广东 guangdong|浙江 zhejiang|江苏 jiangsu|四川 sichuan|湖北 hubei|陕西 shaanxi|福建 fujian"
    "|山东 shandong|湖南 hunan|河南 henan|辽宁 liaoning|云南 yunnan|河北 hebei|安徽 anhui"
    "|江西 jiangxi|广西 guangxi|贵州 guizhou|山西 shanxi|黑龙江 heilongjiang|吉林 jilin"
    "|内蒙古 inner_mongolia,inner mongolia|新疆 xinjiang|西藏 tibet|甘肃 gansu|青海 qinghai"
    "|宁夏 ningxia|海南 hainan|台湾 taiwan|澳门 macau,macao"
)
_ABROAD = (
    ("hong_kong", ("香港", "hong kong", "HK"), r"香港|hong kong"),
    ("singapore", ("新加坡", "singapore", "SG"), r"新加坡|singapore"),
    ("tokyo", ("东京", "tokyo"), r"东京|tokyo"),
    ("los_angeles", ("洛杉矶", "los angeles"), r"洛杉矶|los angeles|\bLA\b"),
    ("london", ("伦敦", "london", "GB-LND"), r"伦敦|london"),
    ("manchester", ("曼彻斯特", "manchester", "GB-MAN"), r"曼彻斯特|manchester"),
    ("birmingham", ("伯明翰", "birmingham", "GB-BIR"), r"伯明翰|birmingham"),
    ("sydney", ("悉尼", "sydney"), r"悉尼|sydney"),
    ("new_york", ("纽约", "new york", "US-NY"), r"纽约|new york|\bnyc\b"),
    ("california", ("加州", "california", "US-CA"), r"加州|加利福尼亚|california"),
    ("texas", ("得州", "texas", "US-TX"), r"得州|得克萨斯|texas"),
    ("florida", ("佛罗里达", "florida", "US-FL"), r"佛罗里达|florida"),
    ("new_jersey", ("新泽西", "new jersey", "US-NJ"), r"新泽西|new jersey"),
    ("illinois", ("伊利诺伊", "illinois", "US-IL"), r"伊利诺伊|illinois|chicago|芝加哥"),
    ("washington", ("华盛顿州", "washington", "US-WA"), r"华盛顿州|washington state|seattle"),
    ("massachusetts", ("麻省", "massachusetts", "US-MA"), r"麻省|massachusetts|boston"),
    ("georgia", ("佐治亚", "georgia", "US-GA"), r"佐治亚|\bgeorgia\b|atlanta"),
    ("pennsylvania", ("宾夕法尼亚", "pennsylvania", "US-PA"), r"宾夕法尼亚|pennsylvania"),
    ("new_south_wales", ("新南威尔士", "new south wales", "AU-NSW"), r"新南威尔士|new south wales"),
)
_GROUPS = (
    (r"江浙沪", ("jiangsu", "zhejiang", "shanghai")),
    (r"一线城市|北上广深", ("beijing", "shanghai", "guangzhou", "shenzhen")),
    (r"京津冀", ("beijing", "tianjin", "hebei")),
)
_UNLISTED_GROUPS = (
    r"华东|华南|华北|华中|西南地区|西北地区|东北地区|珠三角|长三角|二线城市|三线城市|四线城市|下沉市场|海外|国外|境外"
    r"|west coast|east coast|midwest|the south|overseas|abroad|europe|\basia\b|latin america"
)
_PEOPLE = r"(?:customers|users|members|shoppers|buyers|people|subscribers|clients)"
_UNKNOWN_EN = re.compile(
    rf"\b{_PEOPLE}\s+(?:who live\s+|who are\s+)?(?:in|from|based in|living in|located in)\s+"
    r"(?:the\s+)?([A-Z][a-z]{2,20}(?:\s[A-Z][a-z]{2,20}){0,2})"
)
_UNKNOWN_ZH = re.compile(r"(?:住在|位于|来自)?([\u4e00-\u9fff]{2,4}?)(?:市|省|地区|自治区)")
_NOT_PLACES = frozenset(
    "WeChat WeCom English Chinese January February March April May June July August September "
    "October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
_NOT_PLACE_END = tuple("上超门城都夜早股闹菜集节反检")  # 上市, 超市, 节省: not places


def _places() -> list[tuple[str, tuple[str, ...], str]]:
    out: list[tuple[str, tuple[str, ...], str]] = []
    for entry in _CN.split("|"):
        zh, en = entry.split(" ", 1)
        names = en.split(",")
        key = names[0]
        pattern = zh + "".join(rf"|\b{re.escape(n.replace('_', ' '))}\b" for n in names)
        out.append((key, (zh, key.replace("_", " ")), pattern))
    out += [(key, needles, pattern) for key, needles, pattern in _ABROAD]
    return out


PLACES = _places()
"""(key, needles in the ``region`` trait, pattern in a goal) per place."""
NEEDLES = {key: needles for key, needles, _ in PLACES}
"""Needles of each place key."""


def extract_regions(scan: Scan, lang: str) -> tuple[list[str], tuple[int, int]]:
    """Return the place keys the goal names and where the first one is; asks about others."""
    found: list[tuple[int, str]] = []
    first = (len(scan.text), len(scan.text))
    for pattern, group in _GROUPS:
        for m in scan.find_all(pattern):
            found += [(m.start(), k) for k in group]
            first = min(first, (m.start(), m.end()))
    for key, _needles, pattern in PLACES:
        for m in re.finditer(pattern, scan.text, re.I):
            if not scan.covered(m.start(), m.end()):
                scan.spans.append((m.start(), m.end()))
                found.append((m.start(), key))
                first = min(first, (m.start(), m.end()))
    for m in re.finditer(_UNLISTED_GROUPS, scan.text, re.I):
        scan.ask("region", m.start(), m.end(), gw.ASK["region"][lang])
    for m in _UNKNOWN_ZH.finditer(scan.text):
        if not m.group(1).endswith(_NOT_PLACE_END) and not scan.covered(m.start(1), m.end()):
            scan.ask("region", m.start(1), m.end(), gw.ASK["region"][lang])
    for m in _UNKNOWN_EN.finditer(scan.text):
        name = m.group(1)
        if name.split()[0] not in _NOT_PLACES and not scan.covered(m.start(1), m.end(1)):
            scan.ask("region", m.start(1), m.end(1), gw.ASK["region"][lang])
    keys: list[str] = []
    for _pos, key in sorted(found):
        if key not in keys:
            keys.append(key)
    return keys, first


def region_predicates(keys: list[str]) -> list[TraitPredicate]:
    """``region contains`` predicates for the places: all of them must be OR-ed (``any``)."""
    return [
        TraitPredicate(field="region", op="contains", value=needle)
        for key in keys
        for needle in NEEDLES.get(key, ())
    ]
