"""The study summary's sections on what the models know: probes, the knowledge gap and its fits,
Gekhman's fit, training length, recall by exposure, who knows what per relation, and the most
frequent unmatched answers; rendered from the summary tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mismatch.knowing.knows import DEFINITIONS
from mismatch.report.formatting import format_pct, format_points, markdown_table, number, p_text

_pct, _points, _p, _table, _num = format_pct, format_points, p_text, markdown_table, number


def probe_sections(tables: Mapping[str, Any]) -> list[str]:
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


def gekhman_sections(tables: Mapping[str, Any]) -> list[str]:
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


def training_length_sections(table: pd.DataFrame | None) -> list[str]:
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
