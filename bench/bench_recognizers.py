"""Measure number/amount/duration recognizers on the quantities of the goal corpus.

Run in an environment with the candidates installed (they are not project dependencies):
``pip install cn2an==0.5.24 text2num==3.1.0 jionlp==1.5.31 recognizers-text-suite==1.0.2a2
emoji==0.6.0`` then ``python bench/bench_recognizers.py``. Each phrase is a quantity from
tests/data/goals/corpus.yaml with the value the parser needs (days for durations). A library
that is missing is skipped. Figures: docs/goals.md.
"""

from __future__ import annotations

import importlib
import re
import time
import warnings
from collections.abc import Callable

warnings.filterwarnings("ignore")

ZH = [
    ("三个月", 90), ("半年", 180), ("两周", 14), ("十天", 10), ("一百二十天", 120),
    ("九十天", 90), ("一个季度", 90), ("一年", 365), ("45天", 45), ("两个半月", 75),
    ("一天", 1), ("三天", 3), ("48小时", 48), ("八千", 8000), ("1.2万", 12000), ("两万", 20000),
    ("三千五", 3500), ("5千", 5000), ("一万五", 15000), ("五千", 5000), ("一万", 10000),
    ("两千五", 2500), ("七千", 7000), ("5万", 50000), ("两毛", 0.2), ("八千人", 8000),
    ("¥6,000", 6000), ("300元", 300), ("三千元", 3000), ("两千", 2000),
]  # fmt: skip
EN = [
    ("two weeks", 14), ("three months", 90), ("a quarter", 90), ("half a year", 180),
    ("six months", 180), ("a year", 365), ("90 days", 90), ("a fortnight", 14),
    ("sixty days", 60), ("a day", 1), ("48 hours", 48), ("eight thousand", 8000), ("8k", 8000),
    ("$1.2k", 1200), ("twelve hundred", 1200), ("$5,000", 5000), ("3k", 3000), ("2.5k", 2500),
    ("$2,500", 2500), ("three times", 3), ("$1.5k", 1500), ("2k", 2000),
]  # fmt: skip
_DAYS = {"D": 1, "W": 7, "M": 30, "Y": 365}


def _close(got: float | None, want: float) -> bool:
    return got is not None and abs(got - want) < 1e-6 * max(1.0, want)


def project(phrase: str) -> float | None:
    """The project's pipeline: normalize (cn2an + text2num), then days or amount."""
    from agents.goal.numbers import AMOUNT, DUR, amount, normalize, to_days

    text = normalize(phrase).text
    if re.fullmatch(r"\s*" + DUR + r"\s*", text, re.I):
        return to_days(text)
    if m := re.search(r"(\d+)\s*(?:小时|hours?)", text):
        return float(m.group(1))
    m = re.search(AMOUNT, text)
    if m is None:
        return None
    if "毛" in text:
        return amount(m.group(1), None) / 10
    return amount(m.group(1), m.group(2))


def jionlp(phrase: str) -> float | None:
    jio = importlib.import_module("jionlp")
    try:
        t = jio.parse_time(phrase, time_base=time.time())
        if t.get("type") == "time_delta":
            d = t["time"]
            days = d.get("day", 0) + 30 * d.get("month", 0) + 365 * d.get("year", 0)
            return float(d["hour"]) if "hour" in d else float(days)
    except Exception:  # noqa: BLE001 - the library raises bare ValueErrors and more
        pass
    try:
        return float(jio.parse_money(phrase)["num"])
    except Exception:  # noqa: BLE001
        return None


def recognizers(phrase: str) -> float | None:
    dt = importlib.import_module("recognizers_date_time")
    num = importlib.import_module("recognizers_number")
    culture = num.Culture.Chinese if re.search(r"[\u4e00-\u9fff]", phrase) else num.Culture.English
    for r in dt.recognize_datetime(phrase, culture):
        for v in r.resolution.get("values", []):
            if v.get("type") == "duration":
                secs = float(v["value"])
                return secs / 3600 if "小时" in phrase or "hour" in phrase else secs / 86400
    found = num.recognize_number(phrase.replace("$", "").replace("¥", ""), culture)
    return float(found[0].resolution["value"]) if found else None


CANDIDATES: dict[str, tuple[str, Callable[[str], float | None]]] = {
    "project (cn2an + text2num)": ("cn2an", project),
    "jionlp 1.5.31": ("jionlp", jionlp),
    "Recognizers-Text 1.0.2a2": ("recognizers_number", recognizers),
}


def main() -> None:
    phrases = ZH + EN
    for name, (module, fn) in CANDIDATES.items():
        t0 = time.perf_counter()
        try:
            importlib.import_module(module)
        except ImportError as e:
            print(f"{name}: not installed ({e})")
            continue
        imported = time.perf_counter() - t0
        fn(phrases[0][0])
        t0 = time.perf_counter()
        ok = {
            lang: sum(_close(fn(p), v) for p, v in rows) for lang, rows in (("zh", ZH), ("en", EN))
        }
        per = (time.perf_counter() - t0) / len(phrases) * 1000
        wrong = [p for p, v in phrases if not _close(fn(p), v)]
        print(
            f"{name}: zh {ok['zh']}/{len(ZH)}, en {ok['en']}/{len(EN)}, import {imported:.2f} s, "
            f"{per:.2f} ms/phrase; wrong: {', '.join(wrong)}"
        )


if __name__ == "__main__":
    main()
