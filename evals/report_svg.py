"""Inline SVG charts for the HTML report (no JavaScript, no network)."""

from __future__ import annotations

from html import escape

W = 460
BAR_H = 20


def bar_chart(
    title: str, items: list[tuple[str, float, str]], *, scale: float = 1.0, fill: str | None = None
) -> str:
    """Horizontal bars: ``(label, value, text)``; ``value / scale`` is the bar's share.

    Without ``fill`` a pass-rate palette is used (green = all, amber >= 50%, red below).
    """
    label_w, pad = 170, 8
    h = 30 + len(items) * (BAR_H + 4) + pad
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{h}' role='img'>",
        f"<text x='4' y='18' font-size='14' font-weight='bold'>{escape(title)}</text>",
    ]
    span = W - label_w - 60
    for i, (label, value, text) in enumerate(items):
        y = 30 + i * (BAR_H + 4)
        share = max(0.0, min(1.0, value / scale if scale else 0.0))
        palette = "#2e7d32" if share >= 0.999 else "#f9a825" if share >= 0.5 else "#c62828"
        color = fill or palette
        out.append(f"<text x='4' y='{y + 14}' font-size='12'>{escape(label)}</text>")
        out.append(f"<rect x='{label_w}' y='{y}' width='{span}' height='{BAR_H}' fill='#eee'/>")
        out.append(
            f"<rect x='{label_w}' y='{y}' width='{share * span:.1f}' height='{BAR_H}'"
            f" fill='{color}'/>"
        )
        out.append(
            f"<text x='{label_w + span + 4}' y='{y + 14}' font-size='12'>{escape(text)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def histogram(title: str, values: list[float], *, bins: int = 10) -> str:
    """Vertical histogram of ``values``."""
    h, base, left = 200, 170, 30
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{h}' role='img'>",
        f"<text x='4' y='18' font-size='14' font-weight='bold'>{escape(title)}</text>",
    ]
    if values:
        lo, hi = min(values), max(values)
        width = (hi - lo) / bins or 1.0
        counts = [0] * bins
        for v in values:
            counts[min(bins - 1, int((v - lo) / width))] += 1
        top = max(counts) or 1
        bw = (W - left - 10) / bins
        for i, c in enumerate(counts):
            bh = (base - 30) * c / top
            x = left + i * bw
            out.append(
                f"<rect x='{x:.1f}' y='{base - bh:.1f}' width='{bw - 2:.1f}' height='{bh:.1f}'"
                " fill='#1565c0'/>"
            )
            if c:
                out.append(
                    f"<text x='{x + 2:.1f}' y='{base - bh - 3:.1f}' font-size='11'>{c}</text>"
                )
        out.append(f"<text x='{left}' y='{base + 16}' font-size='11'>{lo:.1f}s</text>")
        out.append(f"<text x='{W - 50}' y='{base + 16}' font-size='11'>{hi:.1f}s</text>")
    out.append(f"<line x1='{left}' y1='{base}' x2='{W - 10}' y2='{base}' stroke='#555'/>")
    out.append("</svg>")
    return "".join(out)
