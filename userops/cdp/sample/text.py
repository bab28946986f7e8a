"""Bilingual corpora of the sample population: names, places, time zones, contact formats.

Everything here is plain data. Phone prefixes were checked against ``phonenumbers`` (every
number they produce is valid); e-mail domains are ordinary consumer domains (nothing is ever
sent to them: the sandbox channel does not leave the machine).
"""

from __future__ import annotations

from typing import NamedTuple

ZH_SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.2), ("李", "li", 7.0), ("张", "zhang", 6.8), ("刘", "liu", 5.4),
    ("陈", "chen", 4.6), ("杨", "yang", 3.1), ("黄", "huang", 2.3), ("赵", "zhao", 2.2),
    ("吴", "wu", 2.0), ("周", "zhou", 1.9), ("徐", "xu", 1.6), ("孙", "sun", 1.5),
    ("马", "ma", 1.5), ("朱", "zhu", 1.4), ("胡", "hu", 1.3), ("郭", "guo", 1.2),
    ("何", "he", 1.2), ("高", "gao", 1.1), ("林", "lin", 1.1), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9), ("梁", "liang", 0.9), ("谢", "xie", 0.8), ("宋", "song", 0.7),
    ("唐", "tang", 0.7), ("许", "xu", 0.7), ("韩", "han", 0.7), ("冯", "feng", 0.7),
    ("邓", "deng", 0.6), ("曹", "cao", 0.6), ("彭", "peng", 0.6), ("曾", "zeng", 0.6),
    ("肖", "xiao", 0.6), ("田", "tian", 0.5), ("董", "dong", 0.5), ("袁", "yuan", 0.5),
    ("潘", "pan", 0.5), ("于", "yu", 0.5), ("蒋", "jiang", 0.5), ("蔡", "cai", 0.5),
    ("杜", "du", 0.4), ("叶", "ye", 0.4), ("程", "cheng", 0.4), ("苏", "su", 0.4),
    ("魏", "wei", 0.4), ("吕", "lv", 0.4), ("丁", "ding", 0.4), ("任", "ren", 0.4),
    ("沈", "shen", 0.4), ("欧阳", "ouyang", 0.1),
)  # fmt: skip
"""Common Chinese surnames: (characters, pinyin, relative frequency)."""

ZH_GIVEN: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
    ("英", "ying"), ("华", "hua"), ("玉", "yu"), ("红", "hong"), ("鹏", "peng"),
    ("飞", "fei"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("晨", "chen"),
    ("浩", "hao"), ("宇", "yu"), ("欣", "xin"), ("怡", "yi"), ("子", "zi"), ("涵", "han"),
    ("轩", "xuan"), ("梓", "zi"), ("睿", "rui"), ("博", "bo"), ("文", "wen"), ("佳", "jia"),
    ("思", "si"), ("雨", "yu"), ("嘉", "jia"), ("俊", "jun"), ("一", "yi"), ("诗", "shi"),
    ("萱", "xuan"), ("泽", "ze"), ("昊", "hao"), ("然", "ran"), ("悦", "yue"),
)  # fmt: skip
"""Characters of Chinese given names with their pinyin."""

EN_FIRST: tuple[str, ...] = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Daniel", "Karen", "Matthew", "Emily", "Anthony", "Olivia", "Mark", "Emma",
    "Steven", "Sophia", "Andrew", "Ava", "Joshua", "Mia", "Kevin", "Chloe", "Brian", "Grace",
    "Ryan", "Hannah", "Jacob", "Zoe", "Ethan", "Lily", "Noah", "Amelia", "Liam", "Isla",
    "Oliver", "Ruby", "Lucas", "Priya", "Wei", "Mei", "Diego", "Sofia", "Omar", "Aisha",
)  # fmt: skip
"""English-speaking markets' first names."""

EN_LAST: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker",
    "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
    "Evans", "Turner", "Patel", "Nguyen", "Chen", "Tan", "Khan", "Murphy", "O'Brien",
    "Kelly", "Walsh", "Singh", "Cohen", "Rossi",
)  # fmt: skip
"""English-speaking markets' last names."""


class Zone(NamedTuple):
    """A time zone of the population, its share, standard UTC offset, regions and phones."""

    tz: str
    """IANA name."""
    weight: float
    """Share of persons living there."""
    offset_h: float
    """Standard UTC offset in hours (generation ignores daylight saving)."""
    regions: tuple[tuple[str, float], ...]
    """(region label, relative weight): ``省/市`` for zh, ISO 3166-2 for en."""
    phone: str
    """Phone plan: ``cn``, ``us``, ``uk``, ``au`` or ``sg`` (see ``seed_people``)."""


ZH_ZONES: tuple[Zone, ...] = (
    Zone("Asia/Shanghai", 0.92, 8, (
        ("广东/深圳", 8), ("广东/广州", 8), ("上海/上海", 10), ("北京/北京", 9),
        ("浙江/杭州", 7), ("江苏/南京", 5), ("江苏/苏州", 5), ("四川/成都", 7),
        ("湖北/武汉", 5), ("重庆/重庆", 5), ("陕西/西安", 4), ("福建/厦门", 3),
        ("山东/青岛", 3), ("湖南/长沙", 4), ("天津/天津", 3), ("河南/郑州", 4),
        ("辽宁/沈阳", 3), ("云南/昆明", 2),
    ), "cn"),
    Zone("Asia/Hong_Kong", 0.03, 8, (("香港/香港", 1),), "cn"),
    Zone("Asia/Tokyo", 0.015, 9, (("日本/东京", 1),), "cn"),
    Zone("America/Los_Angeles", 0.015, -8, (("美国/洛杉矶", 1),), "cn"),
    Zone("Europe/London", 0.01, 0, (("英国/伦敦", 1),), "cn"),
    Zone("Asia/Singapore", 0.01, 8, (("新加坡/新加坡", 1),), "cn"),
)  # fmt: skip
"""Where a Chinese-speaking population lives."""

EN_ZONES: tuple[Zone, ...] = (
    Zone("America/New_York", 0.35, -5, (
        ("US-NY", 5), ("US-MA", 2), ("US-FL", 3), ("US-GA", 2), ("US-PA", 2),
    ), "us"),
    Zone("America/Chicago", 0.18, -6, (("US-IL", 2), ("US-TX", 3)), "us"),
    Zone("America/Los_Angeles", 0.22, -8, (("US-CA", 4), ("US-WA", 1)), "us"),
    Zone("Europe/London", 0.12, 0, (("GB-LND", 3), ("GB-MAN", 1), ("GB-BIR", 1)), "uk"),
    Zone("Australia/Sydney", 0.07, 10, (("AU-NSW", 1),), "au"),
    Zone("Asia/Singapore", 0.06, 8, (("SG", 1),), "sg"),
)  # fmt: skip
"""Where an English-speaking population lives."""

US_AREA_CODES: dict[str, tuple[str, ...]] = {
    "US-NY": ("212", "646", "718", "917", "347"),
    "US-MA": ("617", "857"),
    "US-FL": ("305", "786", "407"),
    "US-GA": ("404", "678"),
    "US-PA": ("215", "267"),
    "US-IL": ("312", "773", "872"),
    "US-TX": ("512", "713", "214", "469", "832"),
    "US-CA": ("415", "510", "650", "408", "310", "213", "323", "619"),
    "US-WA": ("206", "425"),
}
"""Real area codes per US state of the population."""

CN_MOBILE_PREFIXES: tuple[str, ...] = tuple(
    str(p)
    for p in (
        *range(130, 140), 147, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166,
        173, 175, 176, 177, 178, *range(180, 190), 191, 198, 199,
    )
)  # fmt: skip
"""Mainland mobile prefixes (three digits, followed by eight)."""

UK_MOBILE_PREFIXES = ("74", "75", "78")
"""UK mobile prefixes after +44 7 ... (followed by eight digits; 77/79 have gaps)."""

AU_MOBILE_PREFIXES = tuple(f"4{d:02d}" for d in range(0, 36))
"""Australian mobile prefixes after +61 (followed by six digits)."""

SG_MOBILE_PREFIXES = ("81", "82", "83", "84", "85", "86", "87", "90", "91", "92", "93", "94")
"""Singapore mobile prefixes after +65 (followed by six digits)."""

ZH_EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("qq.com", 35), ("163.com", 20), ("126.com", 8), ("gmail.com", 6), ("outlook.com", 6),
    ("foxmail.com", 5), ("sina.com", 5), ("icloud.com", 10), ("139.com", 5),
)  # fmt: skip
"""E-mail domains of a Chinese-speaking population (``qq.com`` locals are QQ numbers)."""

EN_EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 45), ("yahoo.com", 9), ("outlook.com", 12), ("hotmail.com", 8),
    ("icloud.com", 15), ("aol.com", 3), ("proton.me", 3), ("comcast.net", 5),
)  # fmt: skip
"""E-mail domains of an English-speaking population."""

ZH_NICKNAMES: tuple[str, ...] = (
    "微信用户", "小太阳", "快乐每一天", "Lucky", "追风少年", "一只猫", "静待花开", "Coco",
    "阿杰", "糖糖", "小鱼儿", "向日葵",
)  # fmt: skip
"""Nicknames that WeChat records carry instead of a real name."""
