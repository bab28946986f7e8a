"""Bilingual vocabulary of the goal parser: objectives, audience words, channels, KPIs.

Every entry is a regular expression (case-insensitive) so that one table serves Chinese and
English. Order matters where noted: the first objective whose words appear wins.
"""

from __future__ import annotations

from userops.plan import Objective

OBJECTIVE_WORDS: list[tuple[Objective, str]] = [
    (
        Objective.SERVICE_RECOVERY,
        r"服务补救|投诉|道歉|致歉|补偿|差评|售后问题|service recovery|complain|apolog|compensat",
    ),
    (
        Objective.SURVEY,
        r"调研|问卷|满意度调查|回访|收集.{0,4}(反馈|意见)|\bsurvey|questionnaire|\bnps\b"
        r"|collect (their )?feedback|ask (them )?for feedback",
    ),
    (
        Objective.EVENT_INVITE,
        r"邀请|发布会|直播|线下活动|沙龙|invit|webinar|launch event|livestream",
    ),
    (
        Objective.ONBOARDING,
        r"新手引导|引导|欢迎|首单|onboard|welcome|first order|first purchase",
    ),
    (
        Objective.REPURCHASE,
        r"复购|补货|回购|续购|耗材|再次购买|repurchase|replenish|restock|refill|reorder|running out"
        r"|consumable",
    ),
    (
        Objective.UPSELL,
        r"交叉销售|追加销售|升级|加购|搭配购买|upsell|up-sell|cross-sell|cross sell|upgrade",
    ),
    (
        Objective.WIN_BACK,
        r"召回|挽留|挽回|唤醒|赢回|拉回|找回|回流|win[- ]?back|re-?engage|reactivat"
        r"|bring (them )?back",
    ),
    (
        Objective.VIP_CARE,
        r"关怀|会员关怀|尊享|专属服务|感谢|vip care|appreciation|\bthank\b|pamper|loyalty care",
    ),
]
"""Objective words, most specific first."""

LIFECYCLE_WORDS: list[tuple[str, str]] = [
    (
        "new",
        r"新用户|新客|新注册|新会员|新人|新顾客"
        r"|new (users?|customers?|members?|sign-?ups?|buyers)|newly|newcomers",
    ),
    (
        "churn_risk",
        r"有?流失风险|即将流失|快流失|流失预警|at risk of churn(?:ing)?|churn[- ]risk|at[- ]risk"
        r"|about to churn|likely to churn",
    ),
    (
        "churned",
        r"已流失|流失用户|流失客户|(?:沉睡|沉默)(?:用户|会员|客户)|\bchurned\b|\blapsed\b|dormant",
    ),
    ("growing", r"成长期|成长用户|growing (users?|customers?)"),
    ("mature", r"成熟期|成熟用户|mature (users?|customers?)"),
    ("reactivated", r"刚回流|已回流|reactivated"),
]
"""Lifecycle stage words (the stage is added to the audience)."""

LTV_WORDS: list[tuple[str, str]] = [
    (
        "high",
        r"高价值|高净值|高ltv|高消费|大客户|重要客户|high[- ]value|high[- ]ltv"
        r"|(?<![a-z])vips?(?![a-z])(?!\s*(?:care|关怀|专属|服务|webinar|event|活动|沙龙|专场|day|日))"
        r"|top (customers|spenders)|big spenders|best customers",
    ),
    ("mid", r"中等价值|中价值|中端|mid[- ](?:value|tier)|medium[- ]value"),
    ("low", r"低价值|low[- ]value"),
]
"""LTV tier words."""

TOPIC_WORDS: list[tuple[str, str]] = [
    ("delivery", r"配送|物流|快递|送货|deliver(?:y|ies)|shipping"),
    ("price", r"价格|太贵|price|pricing|expensive"),
    ("usability", r"难用|不好用|使用问题|usability|hard to use"),
]
"""Feedback topics (service recovery audiences)."""

INTEREST_ZH: dict[str, str] = {
    "护肤": "skincare",
    "美妆": "beauty",
    "咖啡": "coffee",
    "母婴": "baby",
    "运动": "sports",
    "户外": "outdoor",
    "数码": "electronics",
    "家居": "home",
    "宠物": "pet",
    "食品": "food",
    "茶": "tea",
    "健身": "fitness",
    "图书": "books",
    "服饰": "fashion",
}
"""Chinese interest words → interest values in the traits."""

CHANNEL_WORDS: list[tuple[str, str]] = [
    ("sms", r"短信|(?<![a-z])sms(?![a-z])|text messages?|(?<![a-z])text(?:s|ing)?(?![a-z])"),
    ("app_push", r"app推送|推送|(?<![a-z])push(?:es)?(?![a-z])|notifications?"),
    ("email", r"邮件|邮箱|e-?mails?"),
    (
        "wechat_template",
        r"公众号|模板消息|(?<!企业)微信(?!小程序)|(?<![a-z])wechat(?![a-z])(?! work)",
    ),
    ("wecom", r"企微|企业微信|私域社群|wecom"),
    ("miniprogram", r"小程序|mini[- ]?programs?"),
    (
        "voice_call",
        r"外呼|打电话|电话|语音|phone calls?|voice calls?|\bcalls?\b|\bcalling\b"
        r"|(?<![a-z])phone(?![a-z])",
    ),
]
"""Channel words; ``电话`` next to ``号码`` is a phone number, not a channel."""

RFM_WORDS = (
    r"忠实用户|忠诚用户|忠实客户|铁粉|loyal (?:customers|users|members|fans|buyers|shoppers)"
)
"""Loyal customers: the RFM segments ``champions`` and ``loyal``."""

LANGUAGE_WORDS: list[tuple[str, str]] = [
    ("en", r"英文用户|英语用户|说英语的|english[- ]speaking|english speakers"),
    ("zh", r"中文用户|说中文的|chinese[- ]speaking|chinese speakers"),
]
"""The users' language."""

INTEREST_EN = (
    r"\b(coffee|tea|skincare|beauty|pets?|sports|outdoor|electronics|books|fashion|fitness|baby)"
    r" (?:lovers|fans|enthusiasts|drinkers|buyers|shoppers|people|owners)"
)
"""English interest phrases (``coffee lovers``)."""

KPI_WORDS: list[tuple[str, str]] = [
    ("conversion_rate", r"转化率|转化|conversion"),
    ("click_rate", r"点击率|click[- ]?(through )?rate|\bctr\b|clicks"),
    ("open_rate", r"打开率|open rate|opens"),
    ("reply_rate", r"回复率|reply rate|replies|response rate"),
    ("revenue", r"营收|销售额|\bgmv\b|revenue|sales"),
]
"""KPI metric words."""

FORBIDDEN: list[tuple[str, str, dict[str, str]]] = [
    (
        "consent",
        r"(包括|也发|也给|照样发|给).{0,8}(已?退订|撤回.{0,2}同意|拒收)|无视.{0,2}(同意|授权|退订)"
        r"|不管.{0,6}(同意|授权|退订)|(even|also|including|include|message|contact|email|text)"
        r" .{0,20}(unsubscribed|opted[- ]out|withdr[ae]w (their )?consent)|ignore (the )?consent",
        {
            "zh": "不会联系已撤回同意或退订的用户：同意由发送引擎强制执行",
            "en": "users who withdrew consent or opted out will not be contacted: the dispatch "
            "engine enforces consent",
        },
    ),
    (
        "do_not_contact",
        r"免打扰名单.{0,4}(也|照样)|(including|ignore) (the )?do[- ]not[- ]contact",
        {
            "zh": "免打扰名单上的用户不会被联系",
            "en": "users on the do-not-contact list will not be contacted",
        },
    ),
    (
        "quiet_hours",
        r"凌晨\s*[0-6]?\s*[点:]|半夜|深夜发|午夜|at [0-5] ?(a\.?m\.?|am)\b|at midnight"
        r"|middle of the night|at (2[2-3]|0?[0-5]):\d\d",
        {
            "zh": "不会在夜间免打扰时段发送：按用户当地时间延后到允许时段",
            "en": "nothing is sent in quiet hours: sends are deferred to the user's next allowed "
            "local time",
        },
    ),
    (
        "frequency_cap",
        r"(忽略|无视|不管|绕过|突破).{0,4}(频控|频次|频率|次数上限)|不限频|ignore (the )?frequency"
        r"|bypass (the )?(frequency )?caps?|no frequency cap|as many (times|messages) as",
        {
            "zh": "频次上限照常生效，超出的消息会被延后或拦截",
            "en": "frequency caps still apply: excess messages are deferred or suppressed",
        },
    ),
    (
        "contact_in_copy",
        r"(文案|内容|短信|消息)里?.{0,6}(放|写|加|附上?|带上?).{0,6}(电话|手机号|号码|邮箱)"
        r"|(put|include|add|write) (a |our |the |my )?(phone number|mobile number|email address)",
        {
            "zh": "文案中不会写入电话号码、邮箱等联系方式，个性化只用发送时填充的占位符",
            "en": "no phone number or email address goes into the copy; personalization uses "
            "placeholders filled at send time",
        },
    ),
    (
        "no_holdout",
        r"不要对照组|不留对照|全部都发|no holdout|no control group|skip the holdout",
        {
            "zh": "会保留对照组（至少5%）以衡量真实效果",
            "en": "a holdout (at least 5%) is kept to measure the real uplift",
        },
    ),
]
"""Requests the system will not carry out: (kind, pattern, explanation per language)."""
