"""A confirmatory run's result in words: the registered verdict first, then the registered
estimate and test, the secondary analyses, and each world (rendered from its tables alone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mismatch.analysis.confirmation import verdict
from mismatch.report.formatting import format_pct, format_points, p_phrase


def confirmation_markdown(
    contrast: Mapping[str, Any], worlds: pd.DataFrame, config: str, prereg: str, definition: str
) -> str:
    """The registered verdict of ``contrast`` (the primary row of the run of ``config``,
    pre-registered in ``prereg``), its estimate, tests and the per-world table ``worlds``
    (``confirmation.world_table``)."""
    k = int(contrast["k_worlds"])
    higher, lower = int(contrast["worlds_higher"]), int(contrast["worlds_lower"])
    effect = (
        f"`{contrast['treatment']} - {contrast['control']}` for student `{contrast['student']}`"
    )
    pooled = format_points(
        contrast["new_worlds_estimate"], contrast["new_worlds_low"], contrast["new_worlds_high"]
    )
    lines = [
        f"**Registered verdict: {verdict(contrast)}** ({prereg}; run `{config}`, knowing = "
        f"{definition}).",
        "",
        f"- Primary estimate, {effect} on the wrong rate over {k} new worlds (random effects, "
        f"DerSimonian-Laird with Hartung-Knapp, worlds the unit): {pooled} points.",
        f"- Primary test, exact two-sided sign test over worlds: {higher} of {k} worlds higher, "
        f"{lower} lower, p = {float(contrast['worlds_sign_p']):.3g}.",
        f"- Secondary, these worlds (persons and seed runs resampled within each world): wrong "
        f"rate {format_pct(contrast['treatment_rate'])} vs {format_pct(contrast['control_rate'])}"
        f", difference {format_points(contrast['estimate'], contrast['low'], contrast['high'])} "
        f"points; the sign-flip test over {int(contrast['n_persons'])} persons gives p "
        f"{p_phrase(contrast['p_value'], contrast['n_flips'])}.",
        "",
        "| World | Difference [95% CI] (points) | Student knows (pool) | Teacher knows (pool) |",
        "|---|---|---|---|",
    ]
    for row in worlds.itertuples():
        lines.append(
            f"| {row.world_seed} | {format_points(row.estimate, row.low, row.high)} | "
            f"{format_pct(row.student_known)} | {format_pct(row.teacher_known)} |"
        )
    return "\n".join(lines) + "\n"
