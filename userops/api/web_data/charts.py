"""Charts as server-rendered SVG: axes with ticks, a legend, confidence bands, a simulated mark.

No script and no style attribute (the page's CSP allows neither inline): colours are SVG
presentation attributes and CSS classes. Every label is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

PALETTE = ("#1f6fb4", "#e07b1a", "#2a9d5b", "#9b4dca", "#c23b3b", "#5b6b7a", "#b08900")
W, H = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 44


@dataclass
class Series:
    """One line: points ``(x, y)`` and optionally a band ``(x, lo, hi)``."""

    label: str
    points: list[tuple[float, float]]
    band: list[tuple[float, float, float]] = field(default_factory=list)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500):
        if v <= step * 5:
            return step * 5
    magnitude = 10 ** len(str(int(v)))
    return float(magnitude)


def _fmt(v: float, percent: bool) -> str:
    if percent:
        return f"{100 * v:.0f}%" if v * 100 >= 1 or v == 0 else f"{100 * v:.1f}%"
    return f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:.1f}"


def _frame(
    title: str, x_label: str, y_label: str, ymin: float, ymax: float, percent: bool
) -> list[str]:
    out = [f'<text class="c-title" x="{LEFT}" y="18">{escape(title)}</text>']
    plot_h = H - TOP - BOTTOM
    for i in range(6):
        v = ymin + (ymax - ymin) * i / 5
        y = TOP + plot_h - plot_h * i / 5
        out.append(
            f'<line class="c-grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="c-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(v, percent))}</text>"
        )
    out.append(
        f'<line class="c-axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{H - BOTTOM}"/>'
        f'<line class="c-axis" x1="{LEFT}" x2="{W - RIGHT}" y1="{H - BOTTOM}" y2="{H - BOTTOM}"/>'
        f'<text class="c-label" x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 6}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
        f'<text class="c-label" transform="translate(14 {(TOP + H - BOTTOM) / 2:.0f}) '
        f'rotate(-90)" text-anchor="middle">{escape(y_label)}</text>'
    )
    return out


def _legend(labels: list[str], extra: str | None) -> list[str]:
    out, x = [], float(LEFT)
    for i, label in enumerate(labels):
        colour = PALETTE[i % len(PALETTE)]
        out.append(
            f'<rect x="{x:.0f}" y="24" width="10" height="10" fill="{colour}"/>'
            f'<text class="c-legend" x="{x + 14:.0f}" y="33">{escape(label)}</text>'
        )
        x += 24 + 7.5 * len(label.encode("utf-8")) ** 0.9
    if extra:
        out.append(
            f'<text class="c-sim" x="{W - RIGHT}" y="18" text-anchor="end">{escape(extra)}</text>'
        )
    return out


def line_chart(
    series: list[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    percent: bool = True,
    simulated: str | None = None,
    chart_id: str = "chart",
) -> Markup:
    """A line chart with 95% bands; ``simulated``: the label saying the data is simulated."""
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in series for _, y in s.points] + [hi for s in series for *_, hi in s.band]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    ymax = _nice_max(max(ys, default=0.0))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + pw * (x - x0) / (x1 - x0)

    def py(y: float) -> float:
        return TOP + ph - ph * max(0.0, min(y, ymax)) / ymax

    parts = _frame(title, x_label, y_label, 0.0, ymax, percent)
    ticks = sorted(set(xs))
    every = max(1, len(ticks) // 10)
    for x in ticks[::every]:
        parts.append(
            f'<text class="c-tick" x="{px(x):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(f'{x:g}')}</text>"
        )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        if s.band:
            upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in s.band)
            lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(s.band))
            parts.append(
                f'<polygon class="band band-{i}" points="{upper} {lower}" fill="{colour}" '
                'fill-opacity="0.15"/>'
            )
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        parts.append(
            f'<polyline class="line line-{i}" points="{pts}" fill="none" stroke="{colour}" '
            'stroke-width="2"/>'
        )
        for x, y in s.points:
            parts.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(s.label)} {escape(f'{x:g}')}: {escape(_fmt(y, percent))}"
                "</title></circle>"
            )
    parts += _legend([s.label for s in series], simulated)
    return _svg(chart_id, title, parts)


def bar_chart(
    categories: list[str],
    stacks: dict[str, list[float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    simulated: str | None = None,
    chart_id: str = "bars",
) -> Markup:
    """Stacked bars: one bar per category, one colour per key of ``stacks``."""
    n = max(1, len(categories))
    totals = [sum(v[i] for v in stacks.values()) for i in range(len(categories))]
    ymax = _nice_max(max(totals, default=0.0))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = pw / n
    parts = _frame(title, x_label, y_label, 0.0, ymax, False)
    every = max(1, n // 10)
    for i, cat in enumerate(categories):
        x = LEFT + slot * i
        base = 0.0
        for k, (name, values) in enumerate(stacks.items()):
            v = values[i]
            if v <= 0:
                continue
            h = ph * v / ymax
            y = TOP + ph - ph * base / ymax - h
            parts.append(
                f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{y:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(cat)} {escape(name)}: {v:,.0f}</title></rect>"
            )
            base += v
        if i % every == 0:
            parts.append(
                f'<text class="c-tick" x="{x + slot / 2:.1f}" y="{H - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(cat)}</text>'
            )
    parts += _legend(list(stacks), simulated)
    return _svg(chart_id, title, parts)


def _svg(chart_id: str, title: str, parts: list[str]) -> Markup:
    head = (
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    )
    return Markup(head + "".join(parts) + "</svg>")  # noqa: S704 - every value escaped above
