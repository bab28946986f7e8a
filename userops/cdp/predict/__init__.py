"""Predictions: BG/NBD P(alive) and expected orders, Gamma-Gamma spend."""

from userops.cdp.predict.score import (
    BgNbdParams,
    Fitted,
    GammaGammaParams,
    Predictions,
    predict,
    summarize_order_days,
)

__all__ = [
    "BgNbdParams",
    "Fitted",
    "GammaGammaParams",
    "Predictions",
    "predict",
    "summarize_order_days",
]
