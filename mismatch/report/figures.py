"""Figures of the study (matplotlib, Agg canvas, PNG written atomically).

One palette for the outcomes is used by every figure: correct green, wrong red, abstain grey.
Rates are plotted in percent with their interval as error bars. Every figure is rendered from a
table under results/summary/ (``mismatch.analysis.tables``); nothing here computes a statistic.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mismatch.errors import InputError
from mismatch.io import atomic_path

OUTCOME_COLORS = {
    "correct": "#2ca02c",
    "wrong": "#d62728",
    "abstain": "#8c8c8c",
    "malformed": "#ff7f0e",
}
OUTCOME_LABELS = {
    "correct": "Correct",
    "wrong": "Wrong (hallucinated)",
    "abstain": "Abstained",
    "malformed": "Malformed (empty, cut off, off-template)",
}
DPI = 150
DOSE_AXES = {
    "mismatch_fraction": ("mismatch", "Mismatched share of the answered targets (%)"),
    "abstention_share": ("abstention", '"I don\'t know" share of the fine-tuning targets (%)'),
}


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` as PNG to ``path`` atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")


def _student_axes(students: Sequence[str], width: float, height: float = 4.0) -> list[Axes]:
    fig = Figure(figsize=(width * len(students), height), layout="constrained")
    axes = fig.subplots(1, len(students), squeeze=False)[0]
    return list(axes)


def _errors(table: pd.DataFrame, metric: str) -> np.ndarray:
    """Asymmetric error bars (2, n) in percent; missing intervals give zero-length bars."""
    mean = table[metric].to_numpy(dtype=float)
    low = np.nan_to_num(mean - table[f"{metric}_low"].to_numpy(dtype=float))
    high = np.nan_to_num(table[f"{metric}_high"].to_numpy(dtype=float) - mean)
    return 100 * np.clip(np.vstack([low, high]), 0, None)


def _bar_axis(ax: Axes, recipes: Sequence[str], title: str, ylabel: str) -> None:
    ax.set_xticks(np.arange(len(recipes)), list(recipes), rotation=30, ha="right")
    ax.set_xlabel("Fine-tuning recipe")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, 100)
    ax.grid(axis="y", alpha=0.3)


def _mark_values(ax: Axes, bars: Any, values: np.ndarray) -> None:
    """A bar under 1% gets a thick stroke of its colour on the axis, so a zero rate is seen as
    zero rather than as a missing bar."""
    for bar, value in zip(bars, values, strict=True):
        if np.isfinite(value) and value < 1.0:
            left = bar.get_x()
            ax.plot(
                [left, left + bar.get_width()],
                [0.6, 0.6],
                color=bar.get_facecolor(),
                linewidth=2.5,
                solid_capstyle="butt",
            )


def plot_outcomes(summary: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Grouped bars per recipe: correct / wrong / abstain rates with intervals (one panel per
    student); ``summary`` is ``mismatch.analysis.outcomes.summarize`` output."""
    students = list(pd.unique(summary["student"]))
    axes = _student_axes(students, width=max(5.0, 0.9 * summary["recipe"].nunique() + 2))
    width = 0.2
    for ax, student in zip(axes, students, strict=True):
        rows = summary[summary["student"] == student]
        positions = np.arange(len(rows))
        offsets = (-1.5 * width, -0.5 * width, 0.5 * width, 1.5 * width)
        for offset, outcome in zip(offsets, OUTCOME_COLORS, strict=True):
            metric = f"{outcome}_rate"
            values = 100 * rows[metric].to_numpy(dtype=float)
            bars = ax.bar(
                positions + offset,
                values,
                width,
                yerr=_errors(rows, metric),
                capsize=2,
                color=OUTCOME_COLORS[outcome],
                label=OUTCOME_LABELS[outcome],
            )
            _mark_values(ax, bars, values)
        _bar_axis(ax, rows["recipe"], f"Test outcomes: {student}", "Share of test questions (%)")
        ax.legend(fontsize="small")
    save_figure(axes[0].figure, path)


def plot_wrong_by_knowledge(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Wrong rate per recipe split by what the base student knew (``wrong_by_knowledge`` output):
    one row of panels per split (known/unknown, and SliCK category when present)."""
    splits = list(pd.unique(table["split"]))
    students = list(pd.unique(table["student"]))
    n_recipes = table["recipe"].nunique()
    fig = Figure(
        figsize=(max(5.0, 0.9 * n_recipes + 2) * len(students), 4.0 * len(splits)),
        layout="constrained",
    )
    grid = fig.subplots(len(splits), len(students), squeeze=False)
    for row_axes, split in zip(grid, splits, strict=True):
        for ax, student in zip(row_axes, students, strict=True):
            rows = table[(table["split"] == split) & (table["student"] == student)]
            recipes = list(pd.unique(rows["recipe"]))
            groups = list(pd.unique(rows["group"]))
            width = 0.8 / len(groups)
            for i, group in enumerate(groups):
                part = rows[rows["group"] == group].set_index("recipe").reindex(recipes)
                positions = np.arange(len(recipes)) - 0.4 + width * (i + 0.5)
                ax.bar(
                    positions,
                    100 * part["wrong_rate"],
                    width,
                    yerr=_errors(part, "wrong_rate"),
                    capsize=2,
                    color=OUTCOME_COLORS["wrong"],
                    alpha=1.0 - 0.6 * i / len(groups),
                    hatch="//" if i % 2 else None,
                    edgecolor="black",
                    linewidth=0.5,
                    label=f"base student: {group}",
                )
            _bar_axis(
                ax,
                recipes,
                f"Wrong answers by base knowledge ({split}): {student}",
                "Wrong answers (% of questions in group)",
            )
            ax.legend(fontsize="small")
    save_figure(fig, path)


def plot_dose_response(
    summary: pd.DataFrame,
    recipes: pd.DataFrame,
    path: str | os.PathLike[str],
    x: str = "mismatch_fraction",
    fits: pd.DataFrame | None = None,
) -> None:
    """Wrong and abstain rates of the sweep recipes against the recipe's ``x``, with the fitted
    line of ``fits`` (``mismatch.analysis.tables.dose_response`` output: slope and intercept per
    (student, sweep, outcome)) when given.

    ``summary`` is ``summarize`` output (rates with intervals). Recipes are those of ``recipes``
    whose ``sweep`` matches ``x`` (all recipes when there is no ``sweep`` column); ``x`` is the
    mean over world seeds.
    """
    if x not in DOSE_AXES:
        raise ValueError(f"x must be one of {sorted(DOSE_AXES)}, got {x!r}")
    sweep, xlabel = DOSE_AXES[x]
    chosen = recipes if "sweep" not in recipes.columns else recipes[recipes["sweep"] == sweep]
    if chosen.empty:
        raise InputError("recipes", f"no recipes in the {sweep!r} sweep to plot")
    xs = chosen.groupby(["student", "recipe"], sort=False)[x].mean().rename("x").reset_index()
    points = xs.merge(summary, on=["student", "recipe"], how="inner")
    if points.empty:
        raise InputError("recipes", f"no rates for the recipes of the {sweep!r} sweep")
    students = list(pd.unique(points["student"]))
    axes = _student_axes(students, width=5.5)
    for ax, student in zip(axes, students, strict=True):
        rows = points[points["student"] == student].sort_values("x")
        for outcome in ("wrong", "abstain"):
            metric = f"{outcome}_rate"
            label = OUTCOME_LABELS[outcome]
            fit = _fit_row(fits, student, sweep, metric)
            if fit is not None:
                line = np.array([rows["x"].min(), rows["x"].max()])
                ax.plot(
                    100 * line,
                    100 * (fit["slope"] * line + fit["intercept"]),
                    color=OUTCOME_COLORS[outcome],
                    linestyle="--",
                    linewidth=1,
                    label=f"{label}: GEE slope {fit['slope']:+.2f} "
                    f"[{fit['low']:+.2f}, {fit['high']:+.2f}]",
                )
            ax.errorbar(
                100 * rows["x"],
                100 * rows[metric],
                yerr=_errors(rows, metric),
                fmt="o",
                capsize=3,
                color=OUTCOME_COLORS[outcome],
                label=label,
            )
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Share of test questions (%)")
        ax.set_title(f"Dose-response ({sweep} sweep): {student}")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    save_figure(axes[0].figure, path)


def _fit_row(fits: pd.DataFrame | None, student: str, sweep: str, outcome: str) -> dict | None:
    if fits is None or fits.empty:
        return None
    rows = fits[
        (fits["student"] == student) & (fits["sweep"] == sweep) & (fits["outcome"] == outcome)
    ]
    return None if rows.empty else rows.iloc[0].to_dict()


GRID_PANELS = (
    "wrong rate, facts the student knows",
    "wrong rate, facts the student does not know",
    "abstain rate",
)


def plot_grid(levels: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """The grid's mismatch series (``mismatch.analysis.sweep_contrasts.sweep_levels`` rows of
    factor mismatch
    whose sweep starts with "grid"): each level's difference from its row's level 0, in points
    with its paired person-level interval, against the measured mismatch fraction; one panel per
    outcome of ``GRID_PANELS``, one line per series (and student)."""
    required = {"sweep", "factor", "student", "outcome", "level", "estimate", "low", "high"}
    missing = required - set(levels.columns)
    if missing:
        raise InputError("sweep levels", f"missing columns {sorted(missing)}")
    rows = levels[(levels["factor"] == "mismatch") & levels["sweep"].str.startswith("grid")]
    if rows.empty:
        raise InputError("sweep levels", "no grid mismatch series to plot")
    fig = Figure(figsize=(5.0 * len(GRID_PANELS), 4.2), layout="constrained")
    axes = fig.subplots(1, len(GRID_PANELS), squeeze=False)[0]
    several = rows["student"].nunique() > 1
    for ax, outcome in zip(axes, GRID_PANELS, strict=True):
        part = rows[rows["outcome"] == outcome]
        for (student, sweep), line in part.groupby(["student", "sweep"], sort=False):
            line = line.sort_values("level")
            xs = 100 * np.concatenate([[line["reference_level"].iloc[0]], line["level"]])
            ys = 100 * np.concatenate([[0.0], line["estimate"]])
            err = 100 * np.vstack(
                [
                    np.concatenate([[0.0], line["estimate"] - line["low"]]),
                    np.concatenate([[0.0], line["high"] - line["estimate"]]),
                ]
            )
            label = sweep.removeprefix("grid: ") + (f" ({student})" if several else "")
            ax.errorbar(xs, ys, yerr=np.clip(err, 0, None), fmt="o-", capsize=3, label=label)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(outcome.capitalize())
        ax.set_xlabel("Mismatched share of the answered targets (%)")
        ax.set_ylabel("Difference from mismatch 0 (points)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    save_figure(fig, path)


def plot_recall_by_exposure(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Recall on held-out paraphrases (solid) and the mean gold-value probability (dashed)
    against the exposure bin, one colour per model
    (``mismatch.knowing.probes.recall_by_exposure``)."""
    required = {"model", "exposure", "n_facts", "recall", "mean_gold_probability"}
    missing = required - set(table.columns)
    if missing:
        raise InputError("recall by exposure", f"missing columns {sorted(missing)}")
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    for model, rows in table.groupby("model", sort=False):
        rows = rows[rows["n_facts"] > 0]
        line = ax.plot(rows["exposure"], 100 * rows["recall"], "o-", label=f"{model}: recall")
        ax.plot(
            rows["exposure"],
            100 * rows["mean_gold_probability"],
            "s--",
            color=line[0].get_color(),
            alpha=0.7,
            label=f"{model}: mean gold-value probability",
        )
    ax.set_xlabel("Times the fact was stated in pretraining")
    ax.set_ylabel("Percent")
    ax.set_ylim(0, 100)
    ax.set_title("Knowing a fact against its exposure")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    save_figure(fig, path)


def plot_effect_by_gap(
    points: pd.DataFrame,
    fit: pd.DataFrame,
    path: str | os.PathLike[str],
    direct: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Each (world, teacher) effect on the wrong rate against the teacher's knowledge gap, with
    its interval and the fitted line (``mismatch.analysis.gap`` tables): one panel per definition of
    knowing, the study's (primary) first, the sensitivity one beside it. On the ``measured``
    panel the paper's gap is marked with the line's prediction, and ``direct`` (label, gap,
    estimate, low, high: effects measured in runs of the paper's regime) are drawn beside it."""
    missing = {"recipe", "gap", "estimate", "low", "high", "definition", "role"} - set(
        points.columns
    )
    if missing:
        raise InputError("gap points", f"missing columns {sorted(missing)}")
    roles = [r for r in ("primary", "sensitivity") if (points["role"] == r).any()]
    fig = Figure(figsize=(6.0 * len(roles), 4.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(roles), sharey=True))
    for ax, role in zip(axes, roles, strict=True):
        shown = points[points["role"] == role]
        definition = str(shown["definition"].iloc[0])
        _gap_panel(ax, shown, fit[fit["role"] == role], direct if definition == "measured" else ())
        ax.set_xlabel(
            f"Pool facts the teacher knows minus the student (points)\nknowing = {definition}"
        )
        ax.set_title(f"{role.capitalize()}: knowing = {definition}", fontsize="medium")
    axes[0].set_ylabel("Wrong rate, teacher's data minus own (points)")
    fig.suptitle("The effect against the knowledge gap (95% intervals, persons resampled)")
    save_figure(fig, path)


def _gap_panel(
    ax: Axes, points: pd.DataFrame, fit: pd.DataFrame, direct: Sequence[Mapping[str, Any]]
) -> None:
    """One definition's points, line, paper-gap prediction and direct measurements."""
    for i, (recipe, rows) in enumerate(points.groupby("recipe", sort=False)):
        x, y = 100 * rows["gap"], 100 * rows["estimate"]
        yerr = 100 * np.vstack([rows["estimate"] - rows["low"], rows["high"] - rows["estimate"]])
        ax.errorbar(x, y, yerr=yerr, fmt="o", color=f"C{i % 10}", capsize=3, label=recipe)
    right = 100 * points["gap"].max()
    if not fit.empty:
        f = fit.set_index("quantity")
        slope, intercept = f.loc["slope", "estimate"], f.loc["intercept", "estimate"]
        if "predicted effect at the paper's gap" in f.index:
            pred = f.loc["predicted effect at the paper's gap"]
            paper = 100 * float(pred["paper_gap"])
            right = max(right, paper)
            ax.errorbar(
                [paper],
                [100 * pred["estimate"]],
                yerr=[
                    [100 * (pred["estimate"] - pred["low"])],
                    [100 * (pred["high"] - pred["estimate"])],
                ],
                fmt="D",
                color="k",
                capsize=3,
                label="the line at the paper's gap",
            )
        xs = np.linspace(min(0.0, 100 * points["gap"].min()), right, 50)
        ax.plot(xs, 100 * intercept + slope * xs, "k-", lw=1, label="least-squares line")
    for j, run in enumerate(direct):
        ax.errorbar(
            [100 * run["gap"]],
            [100 * run["estimate"]],
            yerr=[[100 * (run["estimate"] - run["low"])], [100 * (run["high"] - run["estimate"])]],
            fmt="s",
            mfc="white",
            color=f"C{(j + 6) % 10}",
            capsize=3,
            label=str(run["label"]),
        )
    ax.axhline(0, color="grey", lw=0.8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def plot_loss_curves(losses: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Training loss per (student, recipe) against the optimiser step: the ``mean`` over seed
    runs, shaded between ``min`` and ``max`` (``mismatch.analysis.tables.loss_curves`` output)."""
    missing = {"student", "recipe", "step", "mean", "min", "max"} - set(losses.columns)
    if missing:
        raise InputError("loss table", f"missing columns {sorted(missing)}")
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    several = losses["student"].nunique() > 1
    groups = list(losses.groupby(["student", "recipe"], sort=False))
    for i, ((student, recipe), table) in enumerate(groups):
        color = f"C{i % 10}"
        label = f"{student}: {recipe}" if several else recipe
        ax.plot(table["step"], table["mean"], color=color, label=label)
        ax.fill_between(table["step"], table["min"], table["max"], color=color, alpha=0.2)
    ax.set_xlabel("Optimiser step")
    ax.set_ylabel("Training loss (cross-entropy per target token)")
    ax.set_title("Fine-tuning loss (mean over seeds, band: min-max)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    save_figure(fig, path)


FOREST_MARKERS = {"world": "s", "pooled": "D", "meta": "D"}


def plot_forest(per_world: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Forest plot of every contrast: per-world differences with their intervals, then the
    pooled "these worlds" and the "new worlds" rows (``mismatch.analysis.tables`` per-world
    table)."""
    if per_world.empty:
        raise InputError("per-world table", "no contrasts to plot")
    contrasts = list(
        per_world[["student", "treatment", "control"]].drop_duplicates().itertuples(index=False)
    )
    height = 0.32 * (len(per_world) + len(contrasts)) + 0.4 * len(contrasts) + 1.2
    fig = Figure(figsize=(8.0, max(3.0, height)), layout="constrained")
    ax = fig.subplots()
    labels, y = [], 0.0
    for student, treatment, control in contrasts:
        rows = per_world[
            (per_world["student"] == student)
            & (per_world["treatment"] == treatment)
            & (per_world["control"] == control)
        ]
        labels.append((-y, f"{student}: {treatment} - {control}", True))  # the group's heading
        y += 1
        for row in rows.to_dict("records"):
            estimate = 100 * row["estimate"]
            # a difference of two rates lies in [-1, 1]: intervals are cut there, as in the text
            low = np.nan_to_num(100 * (row["estimate"] - max(row["low"], -1.0)))
            high = np.nan_to_num(100 * (min(row["high"], 1.0) - row["estimate"]))
            summary_row = row["kind"] != "world"
            ax.errorbar(
                estimate,
                -y,
                xerr=np.clip([[low], [high]], 0, None),
                fmt=FOREST_MARKERS.get(row["kind"], "o"),
                color="black" if summary_row else OUTCOME_COLORS["wrong"],
                capsize=3,
            )
            name = f"world {row['world']}" if row["kind"] == "world" else str(row["world"])
            labels.append((-y, name, False))
            y += 1
        y += 0.5
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks([p for p, _, _ in labels], [t for _, t, _ in labels], fontsize=10)
    for tick, (_, _, heading) in zip(ax.get_yticklabels(), labels, strict=True):
        tick.set_fontweight("bold" if heading else "normal")
    ax.set_ylim(-y + 0.5, 1.0)
    ax.set_xlabel("Wrong-rate difference, treatment - control (percentage points, 95% CI)")
    ax.set_title("Per-world estimates, these worlds pooled, new worlds (random effects)")
    ax.grid(axis="x", alpha=0.3)
    save_figure(fig, path)
