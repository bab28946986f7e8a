"""Does a goal ask for an always-on journey rather than a one-shot campaign?

A journey reacts to what each user does: *after sign-up*, *whenever someone abandons a
cart*, *on their birthday*, *when a user enters churn risk*. A one-shot campaign names an
audience (*customers with no order in 60 days*). Only plain substring tests on the
lowercased text are used (linear time, no regular expressions), on at most
:data:`MAX_CHARS` characters.
"""

from __future__ import annotations

MAX_CHARS = 2000

MARKERS: tuple[str, ...] = (
    # zh: a user's own moment, or an explicit always-on flow
    "注册后", "注册成功后", "注册当天", "注册即", "刚注册", "注册周年",
    "下单后", "购买后", "付款后", "支付后", "收货后", "每次下单", "每次购买", "下单即",
    "生日", "购物车", "加购", "弃购", "每当", "一旦", "进入流失", "变成流失", "变为流失",
    "进入沉默", "变成沉默", "变为沉默", "沉默时", "成为新用户", "进入成长期", "进入成熟期",
    "旅程", "自动化流程", "欢迎系列", "常驻", "持续运行", "用户生命周期自动",
    # en
    "after sign-up", "after signup", "after signing up", "after they sign up",
    "after registering", "after registration", "when someone signs up", "when a user signs up",
    "when users sign up", "when people sign up", "on sign-up", "on signup", "upon sign-up",
    "upon signup", "whenever", "every time", "each time", "abandoned cart", "abandons a cart",
    "abandon their cart", "abandons their cart", "cart abandon", "left in their cart",
    "birthday", "post-purchase", "after purchase", "after a purchase", "after an order",
    "after their order", "after each order", "after every order", "after they order",
    "after ordering", "after they buy", "after their purchase", "after their last purchase",
    "enters churn risk", "enter churn risk", "entering churn risk", "becomes at risk",
    "become at risk", "becomes at-risk", "moves to churn risk", "welcome series", "journey",
    "always-on", "always on", "drip", "anniversary", "lifecycle automation",
)  # fmt: skip
"""Words that make a goal a journey goal (lowercase)."""


def is_journey_goal(text: str) -> bool:
    """Whether ``text`` asks for an always-on journey (a trigger-reaction flow)."""
    low = (text or "")[:MAX_CHARS].lower()
    return any(m in low for m in MARKERS)


def journey_words(text: str) -> list[str]:
    """The markers found in ``text`` (what made it a journey goal), in marker order."""
    low = (text or "")[:MAX_CHARS].lower()
    return [m for m in MARKERS if m in low]
