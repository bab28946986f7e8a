"""Words the goal parser recognizes but cannot map, content exclusions, and its questions.

Whatever matches here and is not otherwise understood becomes a clarifying question that
quotes the operator's words (``Goal.questions``): a channel the platform does not send on, an
audience trait the store does not have, a day-of-week window, a place group with no list.
"""

from __future__ import annotations

UNSUPPORTED_CHANNELS = (
    r"whatsapp|telegram|messenger|facebook|instagram|tiktok|抖音|快手|微博|小红书|钉钉|站内信|彩信"
    r"|\bmms\b|\brcs\b|5g消息|信件|direct mail|postcards?|传真|\bfax\b|\bslack\b|discord|viber"
    r"|kakao|飞书|\blark\b|\bline app\b|(?:用|通过|走|\bvia |\bon |\bthrough |\bover )line(?![a-z])"
)
"""Channels people name that the platform does not send on."""

UNMAPPED_AUDIENCE = (
    r"女性|男性|女生|男生|女士|男士|宝妈|妈妈|学生|年轻|\d{1,3}\s*岁|年龄|生日|活跃用户|不活跃"
    r"|(?:\d{1,4}\s*个?(?:天|周|月|年)\s*)?(?:没有?|未)?(?:登录|登陆)"
    r"|不常买|偶尔买|安卓|苹果用户|双十一|双11|黑五|会员等级|积分"
    r"|\bwomen\b|\bmen\b|\bfemale|\bmale\b|\bstudents?\b|\bmoms?\b|\bmothers\b"
    r"|\baged?\s*\d{1,3}(?:\s*[-~到至]\s*\d{1,3})?|\baged?\b|years old|birthdays?|\bgen z\b"
    r"|millennials|logged in|log in|\blogins?\b|\bactive users|\binactive\b|\bidle\b|android"
    r"|\b(?:been )?(?:gone|away|absent|quiet) for\b"
    r"|ios users|black friday|loyalty points|\bopened\b|\bclicked\b"
    r"|(?:did not|didn't|never|not) open (?:our|the|their|your|an?|last|latest|previous|\s){1,6}"
    r"(?:email|message|push|sms|text|newsletter)"
)
"""Audience words with no trait behind them (gender, age, birthday, logins, engagement)."""

UNMAPPED_WINDOW = (
    r"工作日|周末|双休日|节假日|周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天]"
    r"|\bweekdays?\b|\bweekends?\b|\bholidays?\b"
    r"|\bon (?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)\b"
)
"""Sending-day words: the window is a time of day, not days of the week."""

EXCLUSIONS: list[tuple[str, str]] = [
    (
        "coupon",
        r"优惠券|代金券|满减券|折扣券|红包|券|coupons?|vouchers?|promo codes?|discount codes?",
    ),
    (
        "discount",
        r"打折|折扣|降价|让利|优惠|减价|特价|discounts?|price cuts?|markdowns?|\d{1,2}\s*% off",
    ),
    ("promotion", r"促销|营销|推销|广告|卖货|带货|promotions?|promotional|sales pitch|\bads?\b"),
    ("gift", r"赠品|礼品|送礼|gifts?|freebies?"),
]
"""Content the operator can rule out, most specific first (``discount code`` is a coupon)."""

ASK: dict[str, dict[str, str]] = {
    "channel": {
        "zh": "“{words}”里的渠道目前无法发送；"
        "请改用短信、推送、邮件、公众号、企业微信、小程序或电话中的哪个？",
        "en": "I cannot send on the channel in “{words}”; which of SMS, push, email, WeChat, "
        "WeCom, mini program or phone should I use instead?",
    },
    "audience": {
        "zh": "“{words}”里的受众条件没有对应的用户数据，无法筛选；要去掉它，还是换成别的条件？",
        "en": "The audience condition in “{words}” has no user data behind it; drop it or use "
        "another condition?",
    },
    "spend_window": {
        "zh": "“{words}”：消费额只按近一年统计，要按近一年的消费额来筛选吗？",
        "en": "“{words}”: spend is only known for the last 365 days; filter on that instead?",
    },
    "region": {
        "zh": "“{words}”里的地区我没有对应的城市或省份列表；具体是哪些城市或省份？",
        "en": "I have no list of places for “{words}”; which cities, states or provinces exactly?",
    },
    "region_and_topic": {
        "zh": "“{words}”：按地区和按反馈主题筛选暂时不能同时使用；先按哪一个？",
        "en": "“{words}”: I cannot combine places with feedback topics yet; which one first?",
    },
    "window": {
        "zh": "“{words}”：目前只能限定每天的发送时段，不能限定星期几；按每天的时段发送可以吗？",
        "en": "“{words}”: I can only limit the time of day, not the days of the week; is a "
        "daily window fine?",
    },
    "budget": {
        "zh": "“{words}”里没有看懂具体预算金额；总预算是多少元？",
        "en": "I could not read an amount in “{words}”; what is the total budget?",
    },
    "per_unit": {
        "zh": "“{words}”是按人或按条的成本，我只能控制总预算；总预算是多少元？",
        "en": "“{words}” is a cost per recipient or message; I can only cap the total budget: "
        "what should it be?",
    },
    "message_cap": {
        "zh": "“{words}”限制的是某个渠道的条数，我只能限制总人数；总共最多发给多少人？",
        "en": "“{words}” caps messages on one channel; I can only cap recipients in total: "
        "how many at most?",
    },
    "number": {
        "zh": "“{words}”里的数字 {number} 指什么：预算、人数上限，还是天数？",
        "en": "What does {number} in “{words}” refer to: the budget, a recipient cap, or days?",
    },
}
"""Clarifying questions, per kind and language; ``{words}`` quotes the operator."""
