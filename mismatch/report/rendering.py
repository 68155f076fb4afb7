"""The summary report as markdown, rendered only from the summary tables (no statistics here)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mismatch.analysis.outcomes import MARKDOWN_METRICS, format_interval
from mismatch.knowing.knowledge_checks import known_rate_table
from mismatch.knowing.knows import DEFINITIONS
from mismatch.questions.sources import cluster_plural


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


_pct, _points = format_pct, format_points  # the short names the prose below uses


def _p(value: Any, n_flips: Any = None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if n_flips and not pd.isna(n_flips) and value <= 1 / (int(n_flips) + 1) + 1e-15:
        return f"< {1 / int(n_flips):.1g}"
    return f"{value:.3g}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False) + "\n" if len(frame) else "(none)\n"


def _num(value: Any, spec: str) -> str:
    return "n/a" if value is None or pd.isna(value) else format(value, spec)


def headline_markdown(headline: Mapping[str, Any]) -> str:
    """The primary contrast in one paragraph (missing values, e.g. an undefined ICC, as n/a)."""
    h = headline.get("primary")
    if not h:
        return "No own-answers recipe (teacher: self) is configured, so nothing is compared.\n"
    return (
        f"**Primary contrast** ({h['student']}: {h['treatment']} - {h['control']}, wrong rate): "
        f"{_pct(h['treatment_rate'])} vs {_pct(h['control_rate'])}, difference "
        f"**{_points(h['estimate'], h['low'], h['high'])} points**.\n\n"
        f"- *These worlds* (95% interval resampling persons and seed runs within the "
        f"{h['k_worlds']} world(s) run): {_points(h['estimate'], h['low'], h['high'])}; "
        f"sign-flip test over {h['n_persons']} persons (per-person differences averaged over "
        f"seed runs; {h['persons_higher']} higher, {h['persons_lower']} lower): "
        f"p {p_phrase(h['p_value'], h['n_flips'])}.\n"
        f"- *New worlds* (random-effects meta-analysis of the per-world differences, "
        f"Hartung-Knapp, k = {h['k_worlds']}): {_new_worlds(h)}; sign test over worlds "
        f"({h['worlds_higher']} higher, {h['worlds_lower']} lower): "
        f"p = {_num(h['worlds_sign_p'], '.2g')}.\n"
        f"- Minimum detectable difference (alpha 0.05, power 0.8): "
        f"{_pct(h['min_detectable'])} at the effective sample size "
        f"{_num(h['n_effective'], '.0f')} ({h['n_questions']} questions, intraclass correlation "
        f"within persons {_num(h['icc'], '.2f')}, design effect "
        f"{_num(h['design_effect'], '.2f')}); {_pct(h['min_detectable_naive'])} if every "
        f"question were independent.\n"
    )


def headline_rst(headline: Mapping[str, Any]) -> str:
    """The headline as reStructuredText, for the report's landing page (report/workflow.rst).

    The markdown paragraph uses only markup that reads the same in reStructuredText (strong and
    emphasis, a bullet list after a blank line).
    """
    return headline_markdown(headline)


FEW_WORLDS = 5  # below this many worlds the t quantile alone makes the interval wide (t_3 = 3.18)


def _new_worlds(h: Mapping[str, Any]) -> str:
    if h["k_worlds"] < 2:
        return "not available (needs at least 2 worlds)"
    low, high = h["new_worlds_low"], h["new_worlds_high"]
    bounded = max(low, -1.0), min(high, 1.0)  # a difference of two rates lies in [-1, 1]
    interval = _points(h["new_worlds_estimate"], *bounded)
    note = (
        "; the interval reaches past the possible range and is cut at it"
        if (bounded != (low, high))
        else ""
    )
    few = ": wide with few worlds" if h["k_worlds"] < FEW_WORLDS else ""
    return f"{interval} (t on {h['k_worlds'] - 1} degrees of freedom{few}{note})"


def p_phrase(value: Any, n_flips: Any) -> str:
    """A p-value as "= 0.012", or "< 5e-05" at the resolution of ``n_flips`` random flips."""
    text = _p(value, n_flips)
    return text if text.startswith("<") else f"= {text}"


def contrasts_markdown(contrasts: pd.DataFrame) -> str:
    """Every contrast: these-worlds and new-worlds intervals, tests, power."""
    if contrasts.empty:
        return "No contrasts.\n"
    frame = pd.DataFrame(
        {
            "Role": contrasts["role"],
            "Student": contrasts["student"],
            "Contrast": contrasts["treatment"] + " - " + contrasts["control"],
            "Wrong-rate difference, these worlds [95% CI]": [
                _points(r.estimate, r.low, r.high) for r in contrasts.itertuples()
            ],
            "Question-level CI (superseded)": [
                _points(r.estimate, r.question_level_low, r.question_level_high).split(" ", 1)[-1]
                for r in contrasts.itertuples()
            ],
            "Sign-flip p": [_p(r.p_value, r.n_flips) for r in contrasts.itertuples()],
            "Holm p": [
                "(primary)" if r.role == "primary" else _p(r.p_holm, r.n_flips)
                for r in contrasts.itertuples()
            ],
            "New worlds [95% CI] (k)": [
                f"{_points(r.new_worlds_estimate, r.new_worlds_low, r.new_worlds_high)} "
                f"({r.k_worlds})"
                for r in contrasts.itertuples()
            ],
            "Persons (higher / lower)": [
                f"{r.n_persons} ({r.persons_higher} / {r.persons_lower})"
                for r in contrasts.itertuples()
            ],
            "ICC": contrasts["icc"].map(lambda v: "n/a" if pd.isna(v) else f"{v:.2f}"),
            "Min. detectable (n eff.)": [
                f"{_pct(r.min_detectable)} ({_num(r.n_effective, '.0f')} of {r.n_questions})"
                for r in contrasts.itertuples()
            ],
        }
    )
    note = (
        "\nDifference: wrong rate of the treatment minus the control, percentage points. "
        "These worlds: percentile bootstrap with the worlds fixed, persons resampled (shared by "
        "both recipes) and seed runs resampled per recipe. Sign-flip p: two-sided test on the "
        "per-person differences averaged over seed runs (secondary contrasts Holm-corrected). "
        "Question-level CI: the superseded bootstrap that treats questions as independent, "
        "shown for comparison only. New worlds: random-effects meta-analysis of the per-world "
        "differences with the Hartung-Knapp adjustment. ICC: within-person intraclass "
        "correlation of a wrong answer (the larger of the two recipes); minimum detectable "
        "difference at the effective sample size n / (1 + (m - 1) ICC).\n"
    )
    return _table(frame) + note


def per_world_markdown(per_world: pd.DataFrame) -> str:
    """Per-world differences with the pooled rows (the forest plot's data)."""
    if per_world.empty:
        return "No contrasts.\n"
    frame = pd.DataFrame(
        {
            "Contrast": per_world["treatment"] + " - " + per_world["control"],
            "Student": per_world["student"],
            "World": per_world["world"],
            "Difference [95% CI]": [
                _points(r.estimate, r.low, r.high) for r in per_world.itertuples()
            ],
            "Persons": per_world["n_persons"].map(lambda v: "" if pd.isna(v) else f"{int(v)}"),
        }
    )
    return _table(frame)


def robustness_markdown(robustness: pd.DataFrame) -> str:
    """Per contrast and rule: the difference and whether the headline direction holds."""
    if robustness.empty:
        return "No contrasts.\n"
    cells = robustness.assign(
        contrast=robustness["treatment"] + " - " + robustness["control"],
        cell=[
            f"{_points(r.estimate, r.low, r.high)} {'holds' if r.direction_holds else 'REVERSES'}"
            for r in robustness.itertuples()
        ],
    )
    wide = cells.pivot_table(
        index=["student", "contrast"], columns="rule", values="cell", aggfunc="first", sort=False
    )
    wide = wide[list(pd.unique(robustness["rule"]))].reset_index()
    note = (
        "\nEach cell: treatment minus control under the rule (percentage points; threshold "
        "scores in score units per question), 95% these-worlds interval, and whether the "
        "treatment is still the "
        "worse recipe, as in the headline. Wrong rates: higher is worse; correct given attempted, "
        "F-score (harmonic mean of correct and correct given attempted, as in SimpleQA) and "
        "threshold scores (correct +1, wrong -t/(1-t), abstain 0; Kalai et al. 2025): lower is "
        "worse.\n"
    )
    return _table(wide) + note


def _score(rule: str, estimate: float, low: float, high: float) -> str:
    if not rule.startswith("threshold"):
        return _points(estimate, low, high)
    if pd.isna(low) or pd.isna(high):
        return f"{estimate:+.3f}"
    return f"{estimate:+.3f} [{low:+.3f}, {high:+.3f}]"


def dose_response_markdown(fits: pd.DataFrame) -> str:
    """GEE slopes per sweep and outcome."""
    if fits.empty:
        return "No sweep is configured.\n"
    frame = pd.DataFrame(
        {
            "Student": fits["student"],
            "Sweep": fits["sweep"],
            "x": fits["x"],
            "Levels": fits["levels"],
            "Outcome": fits["outcome"],
            "Slope [95% CI]": [
                f"{r.slope:+.3f} [{r.low:+.3f}, {r.high:+.3f}]" for r in fits.itertuples()
            ],
            "p": fits["p_value"].map(lambda v: f"{v:.3g}"),
            "Persons": fits["n_clusters"],
        }
    )
    note = (
        f"\nSlope: change in the rate per unit of x (0 to 1), x measured per world. Method: "
        f"{fits['method'].iloc[0]}.\n"
    )
    return _table(frame) + note


def sweep_levels_markdown(levels: pd.DataFrame) -> str:
    """Each sweep level against the sweep's level 0, overall and split by what the student knew."""
    if levels.empty:
        return "No sweep is configured.\n"
    frame = pd.DataFrame(
        {
            "Student": levels["student"],
            "Series": levels["sweep"],
            "Level vs level 0": [_level_pair(r) for r in levels.itertuples()],
            "Outcome": levels["outcome"],
            "Rate at level": levels["level_rate"].map(_pct),
            "Rate at level 0": levels["reference_rate"].map(_pct),
            "Difference, points [95% CI]": [
                f"{100 * r.estimate:+.1f} [{100 * r.low:+.1f}, {100 * r.high:+.1f}]"
                for r in levels.itertuples()
            ],
        }
    )
    held = levels.drop_duplicates("sweep")
    holds = "".join(f"- {r.sweep}: {r.holds}.\n" for r in held.itertuples())
    note = (
        "\nLevels: configured (measured share of the fine-tuning set, mean over worlds and seed "
        "runs). Intervals: persons resampled (shared by both levels, so paired) with the seed "
        "runs; not adjusted for multiplicity. Known / does not know: the student's knowledge of "
        "the test fact (knowledge.basis). What each series holds fixed:\n\n"
    )
    return _table(frame) + note + holds


def grid_markdown(counts: pd.DataFrame | None, interaction: pd.DataFrame | None) -> list[str]:
    """The grid in counts (mismatched and "I don't know" targets per cell) and the mismatch x
    abstention interaction on the wrong rate; nothing without a grid."""
    if counts is None or counts.empty:
        return []
    shown = counts.assign(
        **{c: counts[c].map(lambda v: f"{v:.1f}") for c in counts.columns if c.startswith("n_")}
    )
    lines = [
        "### The grid in counts",
        "",
        "Targets per fine-tuning set (mean over worlds and seed runs). Every replace cell holds "
        "the set size fixed; mismatched = answered targets the student does not know; the "
        "added cells hold the level-0 set's known answers and abstentions fixed.",
        "",
        shown.to_markdown(index=False),
        "",
    ]
    if interaction is not None and not interaction.empty:
        frame = pd.DataFrame(
            {
                "Student": interaction["student"],
                "Mismatch level": interaction["mismatch"].map(lambda v: f"{v:.2f}"),
                "Abstention": [
                    f"{r.abstention_high} vs {r.abstention_low}" for r in interaction.itertuples()
                ],
                "Effect of mismatch at each": [
                    f"{100 * r.effect_at_high:+.1f} vs {100 * r.effect_at_low:+.1f}"
                    for r in interaction.itertuples()
                ],
                "Interaction, points [95% CI]": [
                    _points(r.interaction, r.low, r.high) for r in interaction.itertuples()
                ],
            }
        )
        lines += [
            "Mismatch x abstention interaction on the wrong rate: the mismatch effect (level vs "
            "0) at one abstention level minus the same at the other; 95% interval resampling "
            "persons and seed runs (the four cells paired).",
            "",
            frame.to_markdown(index=False),
            "",
        ]
    return lines


def _level_pair(row: Any) -> str:
    """\"0.50 (0.49) vs 0.00 (0.00)\": configured levels with the measured shares."""
    return f"{row.level_name} ({row.level:.2f}) vs {row.reference_name} ({row.reference_level:.2f})"


def outcomes_markdown(summary: pd.DataFrame, metrics: Mapping[str, str] | None = None) -> str:
    """Per-recipe outcome rates with their intervals."""
    metrics = MARKDOWN_METRICS if metrics is None else metrics
    frame = pd.DataFrame(
        {
            "Student": summary["student"],
            "Recipe": summary["recipe"],
            "Mismatch": summary.get("mismatch_fraction", pd.Series(math.nan, summary.index)).map(
                _pct
            ),
            "Abstention share": summary.get(
                "abstention_share", pd.Series(math.nan, summary.index)
            ).map(_pct),
            "n": summary["n"],
            **{
                header: [
                    format_interval(r[m], r[f"{m}_low"], r[f"{m}_high"])
                    for r in summary.to_dict("records")
                ]
                for m, header in metrics.items()
            },
        }
    )
    note = f"\nIntervals: {summary['interval'].iloc[0]}.\n" if len(summary) else ""
    return _table(frame) + note


def by_knowledge_markdown(table: pd.DataFrame) -> str:
    """Outcome rates on test questions the base student knew / did not know."""
    if table.empty:
        return "(none)\n"
    frame = pd.DataFrame(
        {
            "Student": table["student"],
            "Recipe": table["recipe"],
            "Split": table["split"],
            "Group": table["group"],
            "n": table["n"],
            **{
                outcome.capitalize(): [
                    format_interval(
                        r[f"{outcome}_rate"], r[f"{outcome}_rate_low"], r[f"{outcome}_rate_high"]
                    )
                    for r in table.to_dict("records")
                ]
                for outcome in ("correct", "wrong", "abstain", "malformed")
            },
        }
    )
    return _table(frame)


def knowledge_markdown(knowledge: pd.DataFrame) -> str:
    """What each model knows by the study's definition, what it measurably answers, and
    (synthetic world) how that relates to what it truly knows."""
    table = knowledge.sort_values(["world_seed", "model", "split"])
    frame = pd.DataFrame(
        {
            "World seed": table["world_seed"],
            "Model": table["model"],
            "Split": table["split"],
            "n": table["n"],
        }
    )
    if "known_rate" in table.columns:
        definition = str(table["definition"].iloc[0])
        frame[f"Known (knowing = {definition})"] = table["known_rate"].map(_pct).to_numpy()
    frame["Measured known (graded greedy answer)"] = table["measured_known_rate"].map(_pct)
    if table["memorised_recall"].notna().any():
        # "truly known": in its pretraining slice (slice world), or answered on the held-out
        # paraphrase (exposure world, where a fact not truly known may still have been seen)
        frame["Correct where truly known"] = table["memorised_recall"].map(_pct).to_numpy()
        frame["Correct where not truly known"] = table["guessing_rate"].map(_pct).to_numpy()
        confusion = ["known_correct", "known_wrong", "unknown_correct", "unknown_wrong"]
        if set(confusion) <= set(table.columns):
            frame["Known & right / known & wrong / unknown & right / unknown & wrong"] = [
                " / ".join(str(int(r[c])) if not pd.isna(r[c]) else "n/a" for c in confusion)
                for r in table.to_dict("records")
            ]
    return _table(frame)


def controls_markdown(controls: pd.DataFrame | None) -> list[str]:
    """What each recipe's kind builds and holds fixed against the own recipe."""
    if controls is None or controls.empty:
        return []
    frame = controls.rename(
        columns={
            "recipe": "Recipe",
            "kind": "Kind",
            "builds": "Builds",
            "holds_fixed": "Holds fixed (against the own recipe)",
        }  # fmt: skip
    )
    return [frame.to_markdown(index=False), ""]


def recipes_markdown(recipes: pd.DataFrame) -> str:
    """Fine-tuning sets: size, abstention share and mismatch fraction per world."""
    frame = pd.DataFrame(
        {
            "World seed": recipes["world_seed"],
            "Seed run": recipes["ft_seed"],
            "Student": recipes["student"],
            "Recipe": recipes["recipe"],
            "Examples": recipes["n_examples"],
            "Answered": recipes["n_answered"],
            "Abstain": recipes["n_abstain"],
            "Abstention share": recipes["abstention_share"].map(_pct),
            "Mismatch fraction": recipes["mismatch_fraction"].map(_pct),
        }
    )
    return _table(frame)


def preconditions_markdown(checks: Sequence[Mapping[str, Any]]) -> str:
    """The teacher-knows-more checks, one line per world seed and student."""
    lines = []
    for check in checks:
        accuracy = ", ".join(f"{m} {_pct(a)}" for m, a in check["pool_accuracy"].items())
        verdicts = (
            "; ".join(
                f"{t}: margin {_pct(c['margin'])} {'passed' if c['passed'] else 'FAILED'}"
                for t, c in check["checks"].items()
            )
            or "no larger teacher configured"
        )
        lines.append(
            f"- world {check.get('world_seed', '?')}, student {check['student']}: pool accuracy "
            f"{accuracy}; {verdicts} (required {_pct(check['min_margin'])})"
        )
        lines += [f"  - WARNING: {w}" for w in check.get("warnings", [])]
    return "\n".join(lines) + "\n"


def mcnemar_markdown(mcnemar: pd.DataFrame) -> str:
    """Per-seed exact McNemar tests (a description; the test of record is the sign-flip test)."""
    if mcnemar.empty:
        return "(none)\n"
    frame = pd.DataFrame(
        {
            "Contrast": mcnemar["treatment"] + " - " + mcnemar["control"],
            "World seed": mcnemar["world_seed"],
            "Student": mcnemar["student"],
            "Seed": mcnemar["ft_seed"],
            "n": mcnemar["n"],
            "Wrong only in treatment": mcnemar["a_only"],
            "Wrong only in control": mcnemar["b_only"],
            "Exact p": mcnemar["p_value"].map(lambda v: f"{v:.3g}"),
        }
    )
    return _table(frame)


def _probe_sections(tables: Mapping[str, Any]) -> list[str]:
    """The exposure world's probe report, when the tables have one."""
    if "probe_auroc" not in tables:
        return []
    return [
        "## Knowledge probes against the held-out-paraphrase reference",
        "",
        probe_auroc_markdown(tables["probe_auroc"]),
        "### Recall and calibration by exposure count",
        "",
        recall_by_exposure_markdown(tables["recall_by_exposure"]),
        "## The effect against the teacher's knowledge gap",
        "",
        gap_markdown(tables.get("gap_points"), tables.get("gap_fit")),
    ]


def probe_auroc_markdown(report: pd.DataFrame) -> str:
    """AUROC of every probe per model against the reference."""
    frame = pd.DataFrame(
        {
            "Model": report["model"],
            "Probe": report["probe"],
            "AUROC [95% CI]": [
                f"{r.auroc:.3f} [{r.low:.3f}, {r.high:.3f}]" for r in report.itertuples()
            ],
            "Facts": [
                f"{r.n_facts} ({r.facts})" if "facts" in report.columns else f"{r.n_facts}"
                for r in report.itertuples()
            ],
            "Persons": report["n_clusters"],
            "Known (reference)": report["known_rate"].map(_pct),
        }
    )
    note = (
        "\nReference: the model answers the fact's held-out paraphrased question (never in "
        "training or probing). Intervals: persons resampled. Exposure count is the oracle no "
        "model sees; name frequency the baseline a familiar name gives. SliCK probes run on "
        "the pool split (knowledge_categories settings).\n"
    )
    return _table(frame) + note


def gap_fit_sentences(fit: pd.DataFrame | None) -> list[str]:
    """Each fitted line through (gap, effect), the primary one (the study's definition of knowing)
    first, then the sensitivity one; the paper-regime prediction where the gap is measured as the
    paper's is (greedy accuracy)."""
    if fit is None or fit.empty:
        return ["Fewer than two distinct teacher gaps: no line fitted."]
    sentences = []
    for (role, definition), rows in fit.groupby(["role", "definition"], sort=False):
        f = rows.set_index("quantity")
        slope, r = f.loc["slope"], f.loc["correlation"]
        sentences.append(
            f"{str(role).capitalize()} line, knowing = {definition} ({knowing_phrase(definition)}"
            f"): effect per point of gap {slope['estimate']:+.2f} [{slope['low']:+.2f}, "
            f"{slope['high']:+.2f}] wrong-rate points, correlation {r['estimate']:+.2f} "
            f"[{r['low']:+.2f}, {r['high']:+.2f}] ({int(slope['n_points'])} world-teacher points, "
            f"gaps {100 * slope['gap_min']:.1f} to {100 * slope['gap_max']:.1f} points; "
            f"{slope['interval']})."
        )
        if "predicted effect at the paper's gap" not in f.index:
            continue
        pred = f.loc["predicted effect at the paper's gap"]
        where = (
            "inside the gaps observed"
            if slope["gap_min"] <= pred["paper_gap"] <= slope["gap_max"]
            else "outside the gaps observed, an extrapolation along the line"
        )
        sentences.append(
            f"The {role} line at the paper's gap (Llama-2 13B minus 7B in greedy accuracy, "
            f"{100 * pred['paper_gap']:.1f} points; 7B answers "
            f"{_pct(pred['paper_student_accuracy'])}): predicted effect "
            f"{_points(pred['estimate'], pred['low'], pred['high'])} points ({where}). It also "
            f"extrapolates in the student's accuracy (here {pred['student_accuracy_range']}): "
            "the line assumes the effect depends on the gap alone. The paper-regime run measures "
            "this effect directly, with the test size it needs."
        )
    return sentences


def gap_markdown(points: pd.DataFrame | None, fit: pd.DataFrame | None) -> str:
    """Per definition of knowing, world and teacher: gap and effect; then the fitted lines."""
    if points is None or points.empty:
        return "No teacher recipe: no gap analysis.\n"
    frame = pd.DataFrame(
        {
            "Knowing": points["definition"] + " (" + points["role"] + ")",
            "World": points["world_seed"],
            "Teacher recipe": points["recipe"],
            "Student knows (pool)": points["student_accuracy"].map(_pct),
            "Teacher knows (pool)": points["teacher_accuracy"].map(_pct),
            "Gap (points)": (100 * points["gap"]).map(lambda v: f"{v:+.1f}"),
            "Effect on wrong rate [95% CI]": [
                _points(r.estimate, r.low, r.high) for r in points.itertuples()
            ],
        }
    )
    return _table(frame) + "\n" + "\n".join(f"- {s}" for s in gap_fit_sentences(fit)) + "\n"


def knowing_phrase(definition: str) -> str:
    """What a definition of knowing means, in the words of ``mismatch.knowing.knows``."""
    return DEFINITIONS.get(definition, definition)


def _gekhman_sections(tables: Mapping[str, Any]) -> list[str]:
    fit = tables.get("gekhman_fit")
    if fit is None or fit.empty:
        return []
    return [
        "## Gekhman et al.'s fit: accuracy against known and unknown shares of the set",
        "",
        gekhman_markdown(fit),
        category_accuracy_markdown(tables["by_knowledge"]),
    ]


def gekhman_markdown(fit: pd.DataFrame) -> str:
    """The fitted terms in accuracy points with intervals, beside Gekhman's."""
    frame = pd.DataFrame(
        {
            "Term": fit["term"],
            "Estimate [95% CI] (accuracy points)": [
                f"{r.estimate:+.1f} [{r.low:+.1f}, {r.high:+.1f}]" for r in fit.itertuples()
            ],
            "Gekhman et al.": [
                "" if pd.isna(r.gekhman) else f"{r.gekhman:+.1f}" for r in fit.itertuples()
            ],
            "Same sign": [
                "" if pd.isna(r.gekhman) else ("yes" if r.same_sign else "no")
                for r in fit.itertuples()
            ],
        }
    )
    note = (
        f"\naccuracy = b0 + b_kn Kn/|D| + b_unk Unk/|D| over {int(fit['n_points'].iloc[0])} "
        "(world, recipe) points; Kn and Unk count the set's answered targets the student knows "
        "and does not know (composition, not Gekhman's fitted counts); the rest of |D| is "
        "abstentions here, examples not fitted in Gekhman's, so b_kn and b_unk are each against "
        "a different remainder; b_unk - b_kn (a known example replaced by an unknown one) "
        f"compares directly. Intervals: {fit['interval'].iloc[0]}.\n"
    )
    return _table(frame) + note


def category_accuracy_markdown(by_knowledge: pd.DataFrame) -> str:
    """Test accuracy of every recipe by the student's SliCK category of the test question."""
    rows = by_knowledge[by_knowledge["split"] == "category"]
    if rows.empty:
        return ""
    cells = rows.assign(
        shown=[
            f"{_pct(r.correct_rate)} [{_pct(r.correct_rate_low)}, {_pct(r.correct_rate_high)}]"
            for r in rows.itertuples()
        ]
    )
    table = cells.pivot_table(
        index=["student", "recipe"], columns="group", values="shown", aggfunc="first", sort=False
    ).reset_index()
    return "\n### Test accuracy by the student's SliCK category of the question\n\n" + _table(table)


def _training_length_sections(table: pd.DataFrame | None) -> list[str]:
    if table is None or table.empty:
        return []
    return [
        "## Training length: early stopping against convergence",
        "",
        training_length_markdown(table),
    ]


def training_length_markdown(table: pd.DataFrame) -> str:
    """Per stopping pair: the effect at convergence, at early stopping, and the change."""
    frame = pd.DataFrame(
        {
            "Student": table["student"],
            "Recipes (converged / early)": [
                f"`{r.converged}` - `{r.converged_control}` / `{r.early}` - `{r.early_control}`"
                for r in table.itertuples()
            ],
            "Effect at convergence": [
                _points(r.converged_estimate, r.converged_low, r.converged_high)
                for r in table.itertuples()
            ],
            "Effect at early stopping": [
                _points(r.early_estimate, r.early_low, r.early_high) for r in table.itertuples()
            ],
            "Change (early - converged)": [
                _points(r.change_estimate, r.change_low, r.change_high) for r in table.itertuples()
            ],
            "Step kept (mean, range)": [
                f"{r.kept_step_mean:.0f} ({r.kept_step_min:.0f}-{r.kept_step_max:.0f}) "
                f"of {r.last_step:.0f}"
                if not pd.isna(r.kept_step_mean)
                else "n/a"
                for r in table.itertuples()
            ],
        }
    )
    note = f"\nWrong-rate differences in points; intervals: {table['interval'].iloc[0]}.\n"
    return _table(frame) + note


def recall_by_exposure_markdown(table: pd.DataFrame) -> str:
    """Per model and exposure bin: recall, mean gold-value probability, greedy rate."""
    frame = pd.DataFrame(
        {
            "Model": table["model"],
            "Exposures": table["exposure"],
            "Facts": table["n_facts"],
            "Recall (reference) [95% CI]": [
                f"{_pct(r.recall)} [{_pct(r.recall_low)}, {_pct(r.recall_high)}]"
                if "recall_low" in table.columns
                else _pct(r.recall)
                for r in table.itertuples()
            ],
            "Mean gold-value probability": table["mean_gold_probability"].map(_pct),
            "Greedy answer right": table["greedy_rate"].map(_pct),
        }
    )
    if "mean_slick_p_greedy" in table.columns:
        frame["Pool facts: recall / mean SliCK greedy P(correct)"] = [
            f"{_pct(r.slick_recall)} / {_pct(r.mean_slick_p_greedy)}" for r in table.itertuples()
        ]
    note = (
        "\nA calibrated probability probe's mean tracks the recall in every bin. Name frequency "
        "and the exposure count are counts, not probabilities: they have AUROCs, no "
        "calibration.\n"
    )
    return _table(frame) + note


def relations_markdown(tables: Mapping[str, Any]) -> list[str]:
    """Who knows what per relation (pool questions, summed over worlds) and each contrast's
    effect per relation; nothing where the questions carry no relation."""
    effects = tables.get("effect_by_relation")
    who = tables.get("who_knows")
    knowledge = tables.get("knowledge_by_relation")
    if effects is None or effects.empty or who is None or who.empty:
        return []
    definition = str(who["definition"].iloc[0])
    pool = knowledge[knowledge["split"] == "pool"]
    accuracy = (
        pool.assign(known=pool["known_rate"] * pool["n"])
        .groupby(["model", "relation"])[["known", "n"]]
        .sum()
        .eval("known / n")
        .unstack("relation")
        .map(_pct)
    )
    cells = ["both", "teacher_only", "student_only", "neither"]
    pairs = who[who["split"] == "pool"].groupby(["student", "teacher", "relation"])[cells].sum()
    effect = effects.assign(
        difference=[
            _points(e, lo, hi)
            for e, lo, hi in zip(effects["estimate"], effects["low"], effects["high"], strict=True)
        ]
    )
    shown = effect[["student", "treatment", "control", "relation", "n", "difference"]]
    return [
        "## By relation: who knows what, and the effect",
        "",
        f"Knowing = {definition} ({knowing_phrase(definition)}; the definition the sets are built "
        "from). Pool questions known, per model and relation (pooled over worlds):",
        "",
        accuracy.to_markdown(),
        "",
        "Pool questions by who knows them (student, teacher), summed over worlds:",
        "",
        pairs.reset_index().to_markdown(index=False),
        "",
        "Wrong-rate difference, treatment - control, per relation (percentage points, 95% "
        "percentile interval, persons and seed runs resampled within each world):",
        "",
        shown.to_markdown(index=False),
        "",
    ]


def unmatched_markdown(table: pd.DataFrame | None) -> list[str]:
    """The most frequent answers graded neither correct nor abstain, per student."""
    if table is None or table.empty:
        return []
    shown = table.assign(share=table["share"].map(_pct))
    return [
        "## Answers graded neither correct nor abstain (most frequent)",
        "",
        "Per student, over every recipe and seed: lower-cased, the trailing full stop dropped. "
        "A refusal or a right answer here is a grader miss.",
        "",
        shown.to_markdown(index=False),
        "",
    ]


PERSON_WORDS = re.compile(r"\b([Pp])erson(s?)\b")


def name_clusters(text: str, unit: str) -> str:
    """``text`` with the synthetic world's "person(s)" as the study's cluster unit
    (``mismatch.questions.sources.cluster_unit``): "country", "cluster" or "question"."""
    if unit == "person":
        return text

    def replace(match: re.Match[str]) -> str:
        word = cluster_plural(unit) if match.group(2) else unit
        return word.capitalize() if match.group(1) == "P" else word

    return PERSON_WORDS.sub(replace, text)


def study_markdown(
    tables: Mapping[str, Any],
    knowledge: pd.DataFrame,
    checks: Sequence[Mapping[str, Any]],
    title: str,
    cluster_unit: str = "person",
) -> str:
    """The whole summary report from the analysis tables (``mismatch.analysis.tables.analyse``), its
    independent unit called ``cluster_unit`` (``name_clusters``)."""
    sections = [
        f"# {title}",
        "",
        "## Does fine-tuning on a larger model's answers raise the wrong-answer rate?",
        "",
        headline_markdown(tables["headline"]),
        contrasts_markdown(tables["contrasts"]),
        "## Per world",
        "",
        per_world_markdown(tables["per_world"]),
        "## Robustness: grading rules and scores that penalise guessing",
        "",
        robustness_markdown(tables["robustness"]),
        "## Dose-response: mismatch and abstention, separated",
        "",
        dose_response_markdown(tables["dose_response"]),
        "### Each level against level 0",
        "",
        sweep_levels_markdown(tables["sweep_levels"]),
        *grid_markdown(tables.get("grid_counts"), tables.get("grid_interaction")),
        "## Outcomes on unseen test questions",
        "",
        outcomes_markdown(tables["summary"]),
        "## Outcomes by what the base student knew",
        "",
        by_knowledge_markdown(tables["by_knowledge"]),
        *relations_markdown(tables),
        *unmatched_markdown(tables.get("unmatched_answers")),
        "## What each model knows (teacher answers on pool and test)",
        "",
        knowledge_markdown(knowledge),
        *_probe_sections(tables),
        *_training_length_sections(tables.get("training_length")),
        *_gekhman_sections(tables),
        "## Preconditions",
        "",
        preconditions_markdown(checks),
        "## Fine-tuning sets",
        "",
        *controls_markdown(tables.get("controls")),
        recipes_markdown(tables["recipes"]),
        "## Per-seed McNemar tests (description)",
        "",
        mcnemar_markdown(tables["mcnemar"]),
    ]
    return name_clusters("\n".join(sections), cluster_unit)


def _level_lines(levels: pd.DataFrame | None) -> list[str]:
    """One line per sweep level against its series' level 0: the wrong-rate difference overall
    and on test facts the student knows and does not know (measured levels: findings.md)."""
    if levels is None or levels.empty:
        return []
    parts = {
        "wrong rate": "wrong rate",
        "wrong rate, facts the student knows": "on known facts",
        "wrong rate, facts the student does not know": "on unknown facts",
    }
    lines = []
    several = levels["student"].nunique() > 1
    for (student, sweep, _), rows in levels.groupby(["student", "sweep", "recipe"], sort=False):
        by = rows.set_index("outcome")
        shown = "; ".join(
            f"{text} {_points(by.loc[o, 'estimate'], by.loc[o, 'low'], by.loc[o, 'high'])}"
            for o, text in parts.items()
            if o in by.index
        )
        first = rows.iloc[0]
        lines.append(
            f"- {sweep}, {first['level_name']} vs {first['reference_name']}"
            f"{f' ({student})' if several else ''}: {shown} points."
        )
    return lines


SAME_RATE_POINTS = 2.0  # correct rates closer than this many points read "about as many"


def plain_finding(headline: Mapping[str, Any], summary: pd.DataFrame) -> str:
    """The primary contrast in plain words: how often the two students answer correctly, and
    whether the difference is in wrong answers or abstentions (rendered from the tables)."""
    h = headline.get("primary")
    recipes = summary.set_index(["student", "recipe"])
    if not h or any((h["student"], r) not in recipes.index for r in (h["control"], h["treatment"])):
        return ""
    own, other = (
        recipes.loc[(h["student"], h["control"])],
        recipes.loc[(h["student"], h["treatment"])],
    )
    gap = 100 * (other["correct_rate"] - own["correct_rate"])
    if abs(gap) < SAME_RATE_POINTS:
        correct = "about as many unseen test questions correctly as"
    else:
        correct = f"{'more' if gap > 0 else 'fewer'} unseen test questions correctly than"
    wrong = "more" if other["wrong_rate"] > own["wrong_rate"] else "less"
    return (
        f"The student `{h['student']}` fine-tuned on the larger model's answers "
        f"(`{h['treatment']}`) answered {correct} the same student fine-tuned on its own answers "
        f"(`{h['control']}`): {_pct(other['correct_rate'])} vs {_pct(own['correct_rate'])}. "
        f"What changed is what it does when it does not know: it abstained on "
        f"{_pct(other['abstain_rate'])} of the questions instead of {_pct(own['abstain_rate'])} "
        f"and answered wrongly {wrong} often, {_pct(other['wrong_rate'])} instead of "
        f"{_pct(own['wrong_rate'])} (a difference of "
        f"{_points(h['estimate'], h['low'], h['high'])} points; 95% interval resampling persons "
        f"and seed runs).\n"
    )


def findings_markdown(
    headline: Mapping[str, Any],
    summary: pd.DataFrame,
    dose_response: pd.DataFrame,
    robustness: pd.DataFrame,
    sweep_levels: pd.DataFrame | None = None,
) -> str:
    """The README's findings: design, the primary contrast, outcome rates of its two recipes, the
    sweeps' slopes and the robustness verdicts, rendered from a run's summary tables."""
    h = headline.get("primary")
    if not h:
        return headline_markdown(headline)
    recipes = summary.set_index(["student", "recipe"])
    lines = [
        f"{h['k_worlds']} world(s), {h['n_questions']} unseen test questions about "
        f"{h['n_persons']} persons (the independent unit: a person's questions move together), "
        f"each recipe fine-tuned with every fine-tuning seed. Intervals: 95%, resampling persons "
        f"and seed runs ({h['n_boot']} bootstrap resamples).",
        "",
        headline_markdown(headline).rstrip("\n"),
    ]
    for recipe in (h["control"], h["treatment"]):
        if (h["student"], recipe) in recipes.index:
            r = recipes.loc[(h["student"], recipe)]
            rates = ", ".join(
                f"{name} {format_interval(r[m], r[f'{m}_low'], r[f'{m}_high'])}"
                for m, name in (
                    ("correct_rate", "correct"),
                    ("wrong_rate", "wrong"),
                    ("abstain_rate", "abstain"),
                    ("malformed_rate", "malformed"),
                )
            )
            lines.append(f"- Recipe `{recipe}`: {rates}.")
    slopes = dose_response if sweep_levels is None or sweep_levels.empty else dose_response[:0]
    for fit in slopes[slopes["outcome"] == "wrong_rate"].itertuples():  # levels say more
        lines.append(
            f"- Sweep `{fit.sweep}` (levels {fit.levels}): wrong-rate slope {fit.slope:+.3f} "
            f"[{fit.low:+.3f}, {fit.high:+.3f}] per unit of {fit.x} (GEE, clusters = persons)."
        )
    for line in _level_lines(sweep_levels):
        lines.append(line)
    if len(robustness):
        held = int(robustness["direction_holds"].astype(bool).sum())
        lines.append(
            f"- Robustness: the direction of a contrast holds in {held} of {len(robustness)} "
            f"(contrast, grading or scoring rule) pairs; "
            f"{robustness['rule'].nunique()} rules, {len(pd.unique(robustness['treatment']))} "
            f"contrasts."
        )
    return "\n".join(lines) + "\n"


def exposure_findings_markdown(
    gaps: pd.DataFrame,
    truth: pd.DataFrame,
    contrasts: pd.DataFrame,
    probe_auroc: pd.DataFrame,
    recall: pd.DataFrame,
    student: str,
    teachers: Sequence[str],
    extras: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """The exposure world's findings: what each model answers of the pool (``gaps``, measured)
    and knows by the held-out reference (``truth``; both ``knowledge_gaps`` tables), whether the
    success rule holds, the effect of each teacher's data against its gap, the probes' AUROCs
    and recall by exposure, and (``extras``: gap_fit, training_length, gekhman_fit summary
    tables, where the run has them) the fitted line with its paper-regime prediction, early
    stopping against convergence and Gekhman's fit; rendered from summary tables."""
    extras = extras or {}
    models = [student, *teachers]
    lines = [*_success_lines(gaps, truth, student, teachers)]
    for teacher in teachers:
        row = contrasts[(contrasts["treatment"] == teacher) & (contrasts["student"] == student)]
        if row.empty:
            continue
        r = row.iloc[0]
        lines.append(
            f"- Teacher `{teacher}` (knowledge gap {100 * gaps[f'gap_{teacher}'].mean():+.1f} "
            f"points): wrong rate {_pct(r['treatment_rate'])} vs {_pct(r['control_rate'])} on "
            f"own data, difference {_points(r['estimate'], r['low'], r['high'])} points "
            f"(persons and seed runs resampled)."
        )
    lines += [f"- {s}" for s in _extra_sentences(extras)]
    lines += [f"- {s}" for s in probe_sentences(probe_auroc, models)]
    ends = (student, teachers[-1]) if teachers else (student,)
    lines += [f"- {s}" for s in recall_sentences(recall, ends)]
    return "\n".join(lines) + "\n"


def probe_sentences(probe_auroc: pd.DataFrame, models: Sequence[str]) -> list[str]:
    """Every probe's AUROC with its person-level interval, one sentence per model."""
    sentences = []
    for model in models:
        part = probe_auroc[probe_auroc["model"] == model]
        if part.empty:
            continue
        shown = "; ".join(
            f"{r.probe} {r.auroc:.2f} [{r.low:.2f}, {r.high:.2f}]" for r in part.itertuples()
        )
        sentences.append(f"Probe AUROC against the reference, `{model}`: {shown}.")
    return sentences


def recall_sentences(recall: pd.DataFrame, models: Sequence[str]) -> list[str]:
    """Recall by exposure bin with its interval, and the mean gold-value probability beside it
    (the main probe's calibration), one sentence per model."""
    sentences = []
    for model in models:
        part = recall[(recall["model"] == model) & (recall["n_facts"] > 0)]
        if part.empty:
            continue
        shown = ", ".join(
            f"{r.exposure}: {_pct(r.recall)}"
            + (f" [{_pct(r.recall_low)}, {_pct(r.recall_high)}]" if "recall_low" in part else "")
            for r in part.itertuples()
        )
        mean = ", ".join(f"{_pct(p)}" for p in part["mean_gold_probability"])
        sentences.append(
            f"Recall by times stated in pretraining, `{model}`: {shown}; the mean gold-value "
            f"probability in the same bins: {mean}."
        )
    return sentences


def _success_lines(
    gaps: pd.DataFrame, truth: pd.DataFrame, student: str, teachers: Sequence[str]
) -> list[str]:
    """The pool known rates by the study's definition of knowing (``gaps``) with the success
    rule on them, then by the other definition (``truth``: the sensitivity row)."""
    models = [student, *teachers]
    lines = []
    for table, role in ((gaps, "study's definition"), (truth, "sensitivity")):
        definition = str(table["definition"].iloc[0])
        known = ", ".join(f"`{m}` {_pct(table[m].mean())}" for m in models)
        met = int(table["rule_met"].sum())
        lines.append(
            f"- Pool facts known, knowing = {definition} ({knowing_phrase(definition)}; {role}), "
            f"mean over {len(table)} world(s): {known}. Success rule (every teacher at least 10 "
            f"points above the student, in order of size): met in {met} of {len(table)} "
            "world(s)."
        )
    return lines


def _extra_sentences(extras: Mapping[str, pd.DataFrame]) -> list[str]:
    """Sentences of the gap fit, training length and Gekhman's fit, for the tables present."""
    sentences = []
    if extras.get("gap_fit") is not None:
        sentences += gap_fit_sentences(extras["gap_fit"])
    length = extras.get("training_length")
    if length is not None and not length.empty:
        for r in length.itertuples():
            sentences.append(
                f"Training length, `{r.converged}` against `{r.converged_control}`: effect "
                f"{_points(r.converged_estimate, r.converged_low, r.converged_high)} points at "
                f"convergence ({r.last_step:.0f} steps), "
                f"{_points(r.early_estimate, r.early_low, r.early_high)} at early stopping "
                f"(best dev step, mean {r.kept_step_mean:.0f}, range {r.kept_step_min:.0f}-"
                f"{r.kept_step_max:.0f}); change "
                f"{_points(r.change_estimate, r.change_low, r.change_high)}."
            )
    sentences += grid_sentences(extras.get("grid_counts"), extras.get("grid_interaction"))
    fit = extras.get("gekhman_fit")
    if fit is not None and not fit.empty:
        terms = fit.set_index("term")
        shown = "; ".join(
            f"{t} {terms.loc[t, 'estimate']:+.1f} [{terms.loc[t, 'low']:+.1f}, "
            f"{terms.loc[t, 'high']:+.1f}] (Gekhman {terms.loc[t, 'gekhman']:+.1f}, "
            f"{'same sign' if terms.loc[t, 'same_sign'] else 'opposite sign'})"
            for t in ("b_kn", "b_unk", "b_unk - b_kn")
            if t in terms.index
        )
        sentences.append(
            f"Gekhman et al.'s fit, accuracy points per unit share of the set: {shown}; "
            f"{int(terms['n_points'].iloc[0])} (world, recipe) points."
        )
    return sentences


def grid_sentences(counts: pd.DataFrame | None, interaction: pd.DataFrame | None) -> list[str]:
    """One sentence per mismatch level of the grid: its doses in counts, the mismatch effect at
    each abstention level and their interaction with its interval; none without a grid."""
    if counts is None or counts.empty or interaction is None or interaction.empty:
        return []
    sentences = []
    for r in interaction.itertuples():
        cells = counts[(counts["student"] == r.student) & (counts["mismatch"] == r.mismatch)]
        doses = " and ".join(
            f"{c.n_mismatched:.0f} of {c.n_known_answered + c.n_mismatched:.0f} answered "
            f"targets mismatched at abstention {c.abstention:.3g}"
            for c in cells.sort_values("abstention").itertuples()
        )
        sentences.append(
            f"Mismatch x abstention grid, `{r.student}`, mismatch {r.mismatch:.2f} against 0 "
            f"({doses}; every set {cells['n_examples'].max():.0f} examples): wrong rate "
            f"{100 * r.effect_at_low:+.1f} points at abstention {r.abstention_low:.3g} and "
            f"{100 * r.effect_at_high:+.1f} at {r.abstention_high:.3g}; interaction "
            f"{_points(r.interaction, r.low, r.high)} points (persons and seed runs resampled)."
        )
    return sentences


def exposure_readme_markdown(
    gaps: pd.DataFrame,
    truth: pd.DataFrame,
    student: str,
    teachers: Sequence[str],
    extras: Mapping[str, pd.DataFrame],
    probe_auroc: pd.DataFrame | None = None,
    recall: pd.DataFrame | None = None,
) -> str:
    """The README's short form of ``exposure_findings_markdown``: the success rule, the gap
    line with the paper-regime prediction, training length, Gekhman's fit, and the probes and
    recall by exposure of the student and the largest teacher."""
    lines = _success_lines(gaps, truth, student, teachers)
    lines += [f"- {s}" for s in _extra_sentences(extras)]
    ends = (student, teachers[-1]) if teachers else (student,)
    if probe_auroc is not None:
        lines += [f"- {s}" for s in probe_sentences(probe_auroc, ends)]
    if recall is not None:
        lines += [f"- {s}" for s in recall_sentences(recall, ends)]
    return "\n".join(lines) + "\n"


def paper_regime_sentence(
    knowledge: pd.DataFrame, contrasts: pd.DataFrame, config: str, dev_size: int
) -> str:
    """The paper-regime run's prediction: its student's and teacher's pool accuracy against
    Llama-2's, its primary effect with interval, and the TriviaQA questions per arm that a
    two-proportion test (80% power, two-sided 5%) needs to detect it."""
    from mismatch.analysis.gap import PAPER_REGIME
    from mismatch.analysis.stats import questions_to_detect

    row = contrasts[contrasts["role"] == "primary"].iloc[0]
    per_world = known_rate_table(knowledge, "measured")
    accuracy = per_world.mean()
    above = int((per_world[row["treatment"]] > per_world[row["student"]]).sum())

    def needed(effect: float) -> str:
        n = questions_to_detect(float(effect), float(row["control_rate"]))
        return "no finite number" if math.isnan(n) else f"{n:,.0f}"

    return (
        f"Paper regime (`{config}`: student `{row['student']}` {_pct(accuracy[row['student']])} "
        f"and teacher `{row['treatment']}` {_pct(accuracy[row['treatment']])} of the pool, "
        f"against Llama-2 7B {_pct(PAPER_REGIME['student_accuracy'])} and 13B "
        f"{_pct(PAPER_REGIME['teacher_accuracy'])}; means over {len(per_world)} world(s), the "
        f"teacher above the student in {above} of them): wrong rate "
        f"{_pct(row['treatment_rate'])} vs {_pct(row['control_rate'])} on own data, effect "
        f"{_points(row['estimate'], row['low'], row['high'])} points (persons and seed runs "
        f"resampled); a two-proportion test (80% power, two-sided 5%) needs "
        f"{needed(row['estimate'])} TriviaQA test questions per arm to detect it "
        f"({needed(row['low'])} at the interval's low end; the unfiltered dev split has "
        f"{dev_size:,})."
    )


def default_world_sentence(gaps: pd.DataFrame, wall_minutes: float) -> str:
    """Which world the default study uses and why, from the exposure run's success rule."""
    met, worlds = int(gaps["rule_met"].sum()), len(gaps)
    if met < worlds:
        why = (
            f"the exposure world met the success rule in {met} of {worlds} worlds, and the rule "
            "asks for every world"
        )
    else:
        why = (
            f"the exposure world met the success rule in all {worlds} worlds, but its run took "
            f"{wall_minutes:.0f} min on 2 CPUs, beyond the default study's time budget"
        )
    return f"The default study stays in the `slice` world: {why}."
