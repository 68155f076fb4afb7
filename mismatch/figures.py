"""Figures of the study (matplotlib, Agg canvas, PNG written atomically).

One palette for the outcomes is used by every figure: correct green, wrong red, abstain grey.
Rates are plotted in percent with their interval as error bars.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mismatch.errors import InputError
from mismatch.io import atomic_path
from mismatch.stats import linear_fit, mean_interval

OUTCOME_COLORS = {"correct": "#2ca02c", "wrong": "#d62728", "abstain": "#8c8c8c"}
OUTCOME_LABELS = {"correct": "Correct", "wrong": "Wrong (hallucinated)", "abstain": "Abstained"}
DPI = 150
DOSE_AXES = {
    "mismatch_fraction": ("mismatch", "Mismatch fraction of the fine-tuning set (%)"),
    "abstention_share": ("abstention", "Abstention share of the fine-tuning set (%)"),
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


def plot_outcomes(summary: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Grouped bars per recipe: correct / wrong / abstain rates with intervals (one panel per
    student); ``summary`` is ``mismatch.summary.summarize`` output."""
    students = list(pd.unique(summary["student"]))
    axes = _student_axes(students, width=max(5.0, 0.9 * summary["recipe"].nunique() + 2))
    width = 0.27
    for ax, student in zip(axes, students, strict=True):
        rows = summary[summary["student"] == student]
        positions = np.arange(len(rows))
        for offset, outcome in zip((-width, 0.0, width), OUTCOME_COLORS, strict=True):
            metric = f"{outcome}_rate"
            ax.bar(
                positions + offset,
                100 * rows[metric],
                width,
                yerr=_errors(rows, metric),
                capsize=2,
                color=OUTCOME_COLORS[outcome],
                label=OUTCOME_LABELS[outcome],
            )
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
    summary_or_rates: pd.DataFrame,
    recipes: pd.DataFrame,
    path: str | os.PathLike[str],
    x: str = "mismatch_fraction",
) -> None:
    """Wrong and abstain rates of the sweep recipes against the recipe's ``x`` with a fitted line.

    ``summary_or_rates`` is ``summarize`` output (intervals used as is) or ``outcome_rates``
    output (t-interval over runs). Recipes are those of ``recipes`` whose ``sweep`` matches ``x``
    (all recipes when there is no ``sweep`` column); ``x`` is averaged over world seeds.
    """
    if x not in DOSE_AXES:
        raise ValueError(f"x must be one of {sorted(DOSE_AXES)}, got {x!r}")
    sweep, xlabel = DOSE_AXES[x]
    chosen = recipes if "sweep" not in recipes.columns else recipes[recipes["sweep"] == sweep]
    if chosen.empty:
        raise InputError("recipes", f"no recipes in the {sweep!r} sweep to plot")
    xs = chosen.groupby(["student", "recipe"], sort=False)[x].mean().rename("x").reset_index()
    points = xs.merge(_rate_points(summary_or_rates), on=["student", "recipe"], how="inner")
    if points.empty:
        raise InputError("recipes", f"no rates for the recipes of the {sweep!r} sweep")
    students = list(pd.unique(points["student"]))
    axes = _student_axes(students, width=5.5)
    for ax, student in zip(axes, students, strict=True):
        rows = points[points["student"] == student].sort_values("x")
        for outcome in ("wrong", "abstain"):
            metric = f"{outcome}_rate"
            label = OUTCOME_LABELS[outcome]
            if rows["x"].nunique() >= 2:
                fit = linear_fit(rows["x"], rows[metric])
                line = np.array([rows["x"].min(), rows["x"].max()])
                ax.plot(
                    100 * line,
                    100 * (fit.slope * line + fit.intercept),
                    color=OUTCOME_COLORS[outcome],
                    linestyle="--",
                    linewidth=1,
                    label=f"{label} fit (slope {fit.slope:.2f})",
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


def _rate_points(table: pd.DataFrame) -> pd.DataFrame:
    """Per (student, recipe): wrong/abstain rates with ``_low``/``_high`` columns."""
    metrics = ["wrong_rate", "abstain_rate"]
    if all(f"{m}_low" in table.columns for m in metrics):
        return table[
            ["student", "recipe", *metrics, *(f"{m}_{s}" for m in metrics for s in ("low", "high"))]
        ]
    rows = []
    for (student, recipe), group in table.groupby(["student", "recipe"], sort=False):
        row = {"student": student, "recipe": recipe}
        for metric in metrics:
            interval = mean_interval(group[metric])
            row.update(
                {
                    metric: interval.mean,
                    f"{metric}_low": interval.low,
                    f"{metric}_high": interval.high,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def plot_loss_curves(loss_tables: Mapping[str, pd.DataFrame], path: str | os.PathLike[str]) -> None:
    """Training loss per recipe against the optimiser step: mean over seeds (rows sharing a
    step), shaded between the lowest and highest seed. Each table needs ``step`` and ``loss``."""
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    colors = [f"C{i % 10}" for i in range(len(loss_tables))]
    for color, (recipe, table) in zip(colors, loss_tables.items(), strict=True):
        missing = {"step", "loss"} - set(table.columns)
        if missing:
            raise InputError(f"loss table of {recipe!r}", f"missing columns {sorted(missing)}")
        by_step = table.groupby("step")["loss"].agg(["mean", "min", "max"])
        ax.plot(by_step.index, by_step["mean"], color=color, label=recipe)
        ax.fill_between(by_step.index, by_step["min"], by_step["max"], color=color, alpha=0.2)
    ax.set_xlabel("Optimiser step")
    ax.set_ylabel("Training loss (cross-entropy per target token)")
    ax.set_title("Fine-tuning loss (mean over seeds, band: min-max)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    save_figure(fig, path)
