"""The study's findings: gather every run's files, compare recipes, and write the summary report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from mismatch.io import read_json, read_metadata, read_parquet
from mismatch.labels import label_answers
from mismatch.stats import (
    bootstrap_difference,
    cochran_mantel_haenszel,
    min_detectable_difference,
    paired_mcnemar,
    recipe_strata,
    slope_interval,
)
from mismatch.summary import RATE_METRICS, format_interval, summary_markdown, with_indicators

BASE_RECIPE = "base"
RECIPE_COLUMNS = [
    "world_seed",
    "student",
    "recipe",
    "n_examples",
    "n_answered",
    "n_abstain",
    "abstention_share",
    "mismatch_fraction",
]


def collect_labels(paths: Iterable[str]) -> pd.DataFrame:
    """All per-answer label files as one table."""
    return pd.concat([read_parquet(p) for p in paths], ignore_index=True)


def base_student_labels(paths: Mapping[tuple[int, str], str], grading_rule: str) -> pd.DataFrame:
    """Labels of each base student's own (k-shot, not fine-tuned) test answers, as recipe ``base``.

    ``paths`` maps (world seed, student) to the student's test answer table.
    """
    tables = []
    for (world_seed, student), path in paths.items():
        answers = read_parquet(path)
        labels = label_answers(answers, answers, grading_rule=grading_rule)
        tables.append(
            labels.assign(student=student, recipe=BASE_RECIPE, world_seed=world_seed, ft_seed=0)
        )
    return pd.concat(tables, ignore_index=True)


def collect_recipes(paths: Iterable[str]) -> pd.DataFrame:
    """One row per fine-tuning set, from the statistics stored in each set's metadata."""
    rows = [read_metadata(p) for p in paths]
    table = pd.DataFrame(rows)
    extra = [c for c in ("sweep", "level") if c in table.columns]
    return table[RECIPE_COLUMNS + extra]


def collect_knowledge(paths: Iterable[str]) -> pd.DataFrame:
    """One row per (world seed, model, split): measured vs true knowledge."""
    rows = []
    for path in paths:
        report = read_json(path)
        for split in ("pool", "test"):
            entry = report[split]
            confusion = entry.get("confusion") or {}
            rows.append(
                {
                    "world_seed": report["world_seed"],
                    "model": report["model"],
                    "split": split,
                    "n": entry["n"],
                    "measured_known_rate": entry["measured_known_rate"],
                    "memorised_recall": entry.get("memorised_recall"),
                    "guessing_rate": entry.get("guessing_rate"),
                    **confusion,
                }
            )
    return pd.DataFrame(rows)


def comparison_pairs(recipes: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(treatment, control) pairs: every recipe against the student's own-answers recipe."""
    controls = [
        name
        for name, spec in recipes.items()
        if spec["kind"] == "teacher" and spec.get("teacher") == "self"
    ]
    if not controls:
        return []
    control = controls[0]
    return [(name, control) for name in recipes if name != control]


def compare_recipes(
    labels: pd.DataFrame, treatment: str, control: str, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Wrong-rate difference (treatment - control) with a hierarchical-bootstrap interval, the
    per-seed exact McNemar tests and the Cochran-Mantel-Haenszel test stratified over seeds."""
    rows = labels[labels["recipe"].isin([treatment, control])]
    difference = bootstrap_difference(
        with_indicators(rows),
        RATE_METRICS["wrong_rate"],
        treatment,
        control,
        n_boot=n_boot,
        seed=seed,
    )
    per_seed = paired_mcnemar(rows, treatment, control)
    cmh = cochran_mantel_haenszel(recipe_strata(rows, treatment, control))
    n_questions = int(rows.groupby(["world_seed", "student"])["question_id"].nunique().sum())
    control_rate = float((rows.loc[rows.recipe == control, "label"] == "wrong").mean())
    return {
        "treatment": treatment,
        "control": control,
        "difference": difference.mean,
        "low": difference.low,
        "high": difference.high,
        "mcnemar": per_seed,
        "cmh": cmh,
        "n_questions": n_questions,
        "min_detectable": (
            min_detectable_difference(n_questions, control_rate)
            if n_questions and control_rate < 1
            else float("nan")
        ),
    }


SWEEP_AXES = {"mismatch": "mismatch_fraction", "abstention": "abstention_share"}


def dose_response(
    labels: pd.DataFrame, recipes: pd.DataFrame, sweep: str, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any] | None:
    """Slopes of the wrong rate (and wrong among answered) against a sweep's measured level.

    x per recipe is the mean over world seeds of the fine-tuning sets' measured mismatch fraction
    or abstention share; intervals come from the same hierarchical bootstrap as every other one.
    """
    if "sweep" not in recipes.columns:
        return None
    rows = recipes[recipes["sweep"] == sweep]
    if rows["recipe"].nunique() < 2:
        return None
    x = rows.groupby("recipe")[SWEEP_AXES[sweep]].mean().to_dict()
    data = with_indicators(labels[labels["recipe"].isin(list(x))])
    result: dict[str, Any] = {"sweep": sweep, "x": SWEEP_AXES[sweep], "levels": x}
    for metric in ("wrong_rate", "wrong_among_answered", "abstain_rate"):
        interval = slope_interval(data, RATE_METRICS[metric], x, n_boot=n_boot, seed=seed)
        result[metric] = interval
    return result


def dose_response_markdown(fits: Sequence[dict[str, Any]]) -> str:
    """Dose-response slopes as markdown."""
    if not fits:
        return "No sweep is configured.\n"
    lines = [
        "| Sweep | x | Levels | Slope of wrong rate [95% CI] "
        "| Slope of wrong among answered | Slope of abstain rate |",
        "|---|---|---|---|---|---|",
    ]
    for fit in fits:
        levels = ", ".join(f"{v:.2f}" for v in sorted(fit["levels"].values()))
        cells = [
            f"{fit[m].mean:+.3f} [{fit[m].low:+.3f}, {fit[m].high:+.3f}]"
            for m in ("wrong_rate", "wrong_among_answered", "abstain_rate")
        ]
        lines.append(f"| {fit['sweep']} | {fit['x']} | {levels} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Slope: change in the rate per unit of x (x from 0 to 1), least squares over "
        "the sweep's recipes; intervals from the hierarchical bootstrap.",
    ]
    return "\n".join(lines) + "\n"


def comparisons_markdown(comparisons: Sequence[dict[str, Any]]) -> str:
    """The headline comparisons as markdown."""
    if not comparisons:
        return "No own-answers recipe (teacher: self) is configured, so nothing is compared.\n"
    lines = [
        "| Treatment | Control | Wrong-rate difference [95% CI] | CMH p | MH odds ratio "
        "| Seeds with McNemar p < 0.05 | Min. detectable difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in comparisons:
        significant = int((c["mcnemar"]["p_value"] < 0.05).sum())
        lines.append(
            f"| {c['treatment']} | {c['control']} "
            f"| {format_interval(c['difference'], c['low'], c['high'])} "
            f"| {c['cmh'].p_value:.3g} | {c['cmh'].common_odds_ratio:.2f} "
            f"| {significant} of {len(c['mcnemar'])} "
            f"| {100 * c['min_detectable']:.1f} points (n = {c['n_questions']}) |"
        )
    lines += [
        "",
        "Difference: wrong rate of the treatment minus the control, in percentage points, with a "
        "hierarchical bootstrap interval (world seeds, fine-tuning seeds, questions). CMH: "
        "Cochran-Mantel-Haenszel test of wrong vs not wrong, one stratum per (world seed, "
        "fine-tuning seed). McNemar: exact test per seed on the same test questions. Minimum "
        "detectable difference: two-sided alpha 0.05, power 0.8, n test questions per arm.",
    ]
    return "\n".join(lines) + "\n"


def mcnemar_markdown(comparisons: Sequence[dict[str, Any]]) -> str:
    """Per-seed McNemar tables."""
    lines = []
    for c in comparisons:
        lines += [
            f"**{c['treatment']} vs {c['control']}**",
            "",
            "| World seed | Fine-tuning seed | n | wrong only in treatment "
            "| wrong only in control | exact p |",
            "|---|---|---|---|---|---|",
        ]
        for r in c["mcnemar"].itertuples():
            lines.append(
                f"| {r.world_seed} | {r.ft_seed} | {r.n} | {r.a_only} | {r.b_only} "
                f"| {r.p_value:.3g} |"
            )
        lines.append("")
    return "\n".join(lines)


def knowledge_markdown(knowledge: pd.DataFrame) -> str:
    """What each model measurably knows, and (synthetic world) against what it truly saw."""
    has_truth = knowledge["memorised_recall"].notna().any()
    header = "| World seed | Model | Split | n | Measured known |"
    rule = "|---|---|---|---|---|"
    if has_truth:
        header += (
            " Recall on facts it saw | Guessing on facts it never saw "
            "| Confusion (saw & right / saw & wrong / unseen & right / unseen & wrong) |"
        )
        rule += "---|---|---|"
    lines = [header, rule]
    for r in knowledge.sort_values(["world_seed", "model", "split"]).to_dict("records"):
        line = (
            f"| {r['world_seed']} | {r['model']} | {r['split']} | {r['n']} "
            f"| {_pct(r['measured_known_rate'])} |"
        )
        if has_truth:
            line += (
                f" {_pct(r['memorised_recall'])} | {_pct(r['guessing_rate'])} "
                f"| {r.get('known_correct')} / {r.get('known_wrong')} / "
                f"{r.get('unknown_correct')} / {r.get('unknown_wrong')} |"
            )
        lines.append(line)
    return "\n".join(lines) + "\n"


def recipes_markdown(recipes: pd.DataFrame) -> str:
    """Fine-tuning sets: size, abstention share and mismatch fraction per world."""
    lines = [
        "| World seed | Student | Recipe | Examples | Answered | Abstain | Abstention share "
        "| Mismatch fraction |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in recipes.to_dict("records"):
        lines.append(
            f"| {r['world_seed']} | {r['student']} | {r['recipe']} | {r['n_examples']} "
            f"| {r['n_answered']} | {r['n_abstain']} | {_pct(r['abstention_share'])} "
            f"| {_pct(r['mismatch_fraction'])} |"
        )
    return "\n".join(lines) + "\n"


def preconditions_markdown(checks: Iterable[dict[str, Any]]) -> str:
    """The teacher-knows-more checks, one line per world seed and teacher."""
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
        world = check.get("world_seed", "?")
        lines.append(
            f"- world {world}, student {check['student']}: pool accuracy {accuracy}; "
            f"{verdicts} (required {_pct(check['min_margin'])})"
        )
        lines += [f"  - WARNING: {w}" for w in check.get("warnings", [])]
    return "\n".join(lines) + "\n"


def study_markdown(
    *,
    summary: pd.DataFrame,
    comparisons: Sequence[dict[str, Any]],
    fits: Sequence[dict[str, Any]],
    knowledge: pd.DataFrame,
    recipes: pd.DataFrame,
    checks: Sequence[dict[str, Any]],
    title: str,
) -> str:
    """The whole summary report."""
    sections = [
        f"# {title}",
        "",
        "## Does fine-tuning on a larger model's answers raise the wrong-answer rate?",
        "",
        comparisons_markdown(comparisons),
        "## Dose-response: mismatch and abstention, separated",
        "",
        dose_response_markdown(fits),
        "## Outcomes on unseen test questions",
        "",
        summary_markdown(summary),
        "## What each model knows (teacher answers on pool and test)",
        "",
        knowledge_markdown(knowledge),
        "## Preconditions",
        "",
        preconditions_markdown(checks),
        "## Fine-tuning sets",
        "",
        recipes_markdown(recipes),
        "## Per-seed McNemar tests",
        "",
        mcnemar_markdown(comparisons),
    ]
    return "\n".join(sections)


def _pct(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def headline_rst(
    summary: pd.DataFrame,
    comparisons: Sequence[dict[str, Any]],
    recipes: Mapping[str, Mapping[str, Any]],
) -> str:
    """The study's headline as reStructuredText (included by the report's landing page): the
    paper's comparison (own answers vs a teacher's answers) with intervals and the CMH test."""
    teacher_runs = [
        c
        for c in comparisons
        if recipes.get(c["treatment"], {}).get("kind") == "teacher"
        and recipes[c["treatment"]].get("teacher") != "self"
    ]
    chosen = teacher_runs[0] if teacher_runs else (comparisons[0] if comparisons else None)
    if chosen is None:
        return "No own-answers recipe (teacher: self) is configured, so nothing is compared.\n"

    def rates(recipe: str) -> str:
        rows = summary[summary["recipe"] == recipe]
        parts = []
        for row in rows.itertuples():
            wrong = format_interval(row.wrong_rate, row.wrong_rate_low, row.wrong_rate_high)
            parts.append(
                f"wrong on {wrong} of the unseen test questions, abstains on "
                f"{_pct(row.abstain_rate)}, correct on {_pct(row.correct_rate)}"
                + (f" (student {row.student})" if len(rows) > 1 else "")
            )
        return "; ".join(parts) or "not labelled"

    treatment, control = chosen["treatment"], chosen["control"]
    source = recipes.get(treatment, {}).get("teacher", treatment)
    return (
        f"Fine-tuned on its own answers (recipe ``{control}``), the student is "
        f"{rates(control)}. Fine-tuned on the answers of ``{source}`` (recipe ``{treatment}``), "
        f"it is {rates(treatment)}. Wrong-rate difference "
        f"{100 * chosen['difference']:+.1f} points "
        f"[{100 * chosen['low']:+.1f}, {100 * chosen['high']:+.1f}]; "
        f"Cochran-Mantel-Haenszel p = {chosen['cmh'].p_value:.2g} "
        f"({chosen['n_questions']} test questions; 95% hierarchical bootstrap intervals).\n"
    )
