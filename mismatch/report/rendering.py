"""The summary report as markdown, rendered only from the summary tables (no statistics here)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mismatch.analysis.outcomes import MARKDOWN_METRICS, format_interval
from mismatch.analysis.outputs import TABLES
from mismatch.questions.sources import cluster_plural
from mismatch.report.formatting import (
    format_pct,
    format_points,
    markdown_table,
    number,
    p_phrase,
    p_text,
)
from mismatch.report.knowledge_sections import (
    gekhman_sections,
    probe_sections,
    relations_markdown,
    training_length_sections,
    unmatched_markdown,
)

_pct, _points, _p, _table, _num = format_pct, format_points, p_text, markdown_table, number


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


SCREEN_METRICS = {  # a summary's main table (every rate: the full outcomes table)
    "correct_rate": "Correct",
    "wrong_rate": "Wrong",
    "abstain_rate": "Abstain",
    "malformed_rate": "Malformed",
}


def outcome_table(summary: pd.DataFrame, rows: Sequence[tuple[str, str]]) -> str:
    """The main outcome rates (with intervals) of the (student, recipe) ``rows``, in order."""
    indexed = summary.set_index(["student", "recipe"])
    present = [row for row in rows if row in indexed.index]
    return outcomes_markdown(indexed.loc[present].reset_index(), SCREEN_METRICS)


def summary_screen(tables: Mapping[str, Any]) -> list[str]:
    """The page's opening screen after the headline: the primary contrast's outcome rates, the
    outcomes figure, and where every table is."""
    h = tables["headline"].get("primary")
    rows = [(h["student"], h["control"]), (h["student"], h["treatment"])] if h else []
    return [
        outcome_table(tables["summary"], rows),
        "![Test outcomes per recipe](../figures/outcomes.png)",
        "",
        "Every table follows below; each is a CSV beside this page: "
        + ", ".join(f"`{table.file}`" for name, table in TABLES.items() if name in tables)
        + ".",
        "",
        "## Contrasts",
        "",
    ]


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
        *summary_screen(tables),
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
        *probe_sections(tables),
        *training_length_sections(tables.get("training_length")),
        *gekhman_sections(tables),
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
