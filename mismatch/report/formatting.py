"""Numbers as the study's pages write them: rates in percent, differences in points with their
interval, p-values at the resolution of the test, tables as markdown."""

from __future__ import annotations

from typing import Any

import pandas as pd


def format_pct(value: Any) -> str:
    """A rate as a percentage with one decimal, e.g. ``12.3%`` (``n/a`` when missing)."""
    return "n/a" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def format_points(estimate: float, low: float, high: float) -> str:
    """A difference in percentage points with its interval, e.g. ``+60.8 [48.6, 72.5]``."""
    if estimate is None or pd.isna(estimate):
        return "n/a"
    if pd.isna(low) or pd.isna(high):
        return f"{100 * estimate:+.1f}"
    return f"{100 * estimate:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


def p_text(value: Any, n_flips: Any = None) -> str:
    """A p-value to three digits, or "< 5e-05" at the resolution of ``n_flips`` flips."""
    if value is None or pd.isna(value):
        return "n/a"
    if n_flips and not pd.isna(n_flips) and value <= 1 / (int(n_flips) + 1) + 1e-15:
        return f"< {1 / int(n_flips):.1g}"
    return f"{value:.3g}"


def markdown_table(frame: pd.DataFrame) -> str:
    """A table as markdown, "(none)" without rows."""
    return frame.to_markdown(index=False) + "\n" if len(frame) else "(none)\n"


def number(value: Any, spec: str) -> str:
    """A number formatted by ``spec``, "n/a" when missing."""
    return "n/a" if value is None or pd.isna(value) else format(value, spec)


def p_phrase(value: Any, n_flips: Any) -> str:
    """A p-value as "= 0.012", or "< 5e-05" at the resolution of ``n_flips`` random flips."""
    text = p_text(value, n_flips)
    return text if text.startswith("<") else f"= {text}"
