"""The registry of a study's analysis outputs: every table the ``analyse`` step writes under
``summary/`` and every figure drawn from those tables, each with the condition on the study's
design under which it exists, its caption and category in ``snakemake --report``, and the
published pages that copy it. The rules (``rules/common.smk``, ``rules/summary.smk``), the figure
step (``scripts/plot_figures.py``), the report and publishing (``mismatch/publishing/``) all read
this one list: adding a table and its figure is one entry each (docs/design.md, "Adding an
analysis table and figure")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.errors import InputError

PAGES = ("findings", "real", "exposure", "paper_regime")  # the published pages (publishing)


@dataclass(frozen=True)
class Design:
    """What of a study's design decides which outputs it has."""

    exposure: bool = False  # the exposure world: probes, recall by exposure, the gap as the dose
    early: bool = False  # some recipe keeps its best dev step (training length)
    category_sets: bool = False  # some recipe is built from the student's SliCK categories
    sweeps: tuple[str, ...] = ()  # the configured sweeps (mismatch, abstention, grid)


def design_of(config: Mapping[str, Any]) -> Design:
    """The design of a validated config (``rules/common.smk`` plans with the same)."""
    from mismatch.config.settings import recipe_stopping
    from mismatch.questions.sources import pretrained_world
    from mismatch.recipes.kinds import KINDS

    return Design(
        exposure=pretrained_world(config) == "exposure",
        early="early" in recipe_stopping(config).values(),
        category_sets=any(
            KINDS[spec["kind"]].needs_categories for spec in config["recipes"].values()
        ),
        sweeps=tuple(config["sweeps"]),
    )


def always(design: Design) -> bool:
    """Every study has the output."""
    return True


Condition = Callable[[Design], bool]
Compute = Callable[[Mapping[str, pd.DataFrame], pd.DataFrame, Any], pd.DataFrame]
Draw = Callable[[Mapping[str, pd.DataFrame], Path], None]


@dataclass(frozen=True)
class Report:
    """Where an output appears in ``snakemake --report``: its caption (``report/<caption>.rst``)
    and category, in studies where ``when`` holds."""

    caption: str
    category: str
    when: Condition = always


@dataclass(frozen=True)
class Table:
    """An analysis table: its key in the analysis's tables, its file under ``summary/``, the
    studies that have it, its report entry, the pages that publish it, and how it is computed
    (``None``: by ``mismatch.analysis.study_tables``; else ``compute(inputs, knowledge,
    settings)``)."""

    name: str
    file: str
    when: Condition = always
    report: Report | None = None
    published: frozenset[str] = frozenset()
    compute: Compute | None = None


@dataclass(frozen=True)
class Figure:
    """A figure: its key and file under ``figures/``, the tables it is drawn from, the studies
    that have it, its report entry (caption ``report/<name>.rst`` unless named), and the function
    that draws it (``draw(tables, path)``)."""

    name: str
    file: str
    tables: tuple[str, ...]
    draw: Draw
    category: str
    when: Condition = always
    caption: str | None = None


def _pages(*names: str) -> frozenset[str]:
    unknown = set(names) - set(PAGES)
    if unknown:
        raise ValueError(f"unknown published page(s) {sorted(unknown)}; pages: {PAGES}")
    return frozenset(names)


def _exposure(design: Design) -> bool:
    return design.exposure


def _early(design: Design) -> bool:
    return design.early


def _category_sets(design: Design) -> bool:
    return design.category_sets


def _sweep(name: str) -> Condition:
    def has(design: Design) -> bool:
        return name in design.sweeps

    has.__name__ = f"has_{name}_sweep"
    return has


def _drawn_by(function: str) -> Draw:
    """A figure function of ``mismatch.report.figure_step``, imported when drawn (planning a
    workflow imports this registry, and should not import matplotlib)."""

    def draw(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
        from mismatch.report import figure_step

        getattr(figure_step, function)(tables, path)

    draw.__name__ = function
    return draw


SUMMARY_TABLE = "4. Summary table"
PROBES = "5. Knowledge probes"
GAP = "6. Knowledge gap and fits"
ALL_RUNS = _pages("findings", "real")

TABLES: dict[str, Table] = {}
FIGURES: dict[str, Figure] = {}


def register(output: Table | Figure) -> None:
    """Add a table or a figure to the registry (a figure's tables must be registered)."""
    if isinstance(output, Table):
        TABLES[output.name] = output
        return
    missing = [name for name in output.tables if name not in TABLES]
    if missing:
        raise ValueError(f"figure {output.name}: unregistered table(s) {missing}")
    FIGURES[output.name] = output


for _table in (
    Table("summary", "summary.csv", report=Report("summary", SUMMARY_TABLE), published=ALL_RUNS),
    Table(
        "contrasts",
        "contrasts.csv",
        report=Report("contrasts", SUMMARY_TABLE),
        published=_pages(*PAGES),
    ),
    Table("per_world", "per_world.csv", published=_pages("findings", "real", "paper_regime")),
    Table(
        "robustness",
        "robustness.csv",
        report=Report("robustness", SUMMARY_TABLE),
        published=ALL_RUNS,
    ),
    Table("mcnemar", "mcnemar.csv"),
    Table("dose_response", "dose_response.csv", published=_pages("findings", "real", "exposure")),
    Table("sweep_levels", "sweep_levels.csv", published=_pages("findings", "real", "exposure")),
    Table("grid_counts", "grid_counts.csv", published=_pages("exposure")),
    Table("grid_interaction", "grid_interaction.csv", published=_pages("exposure")),
    Table("by_knowledge", "wrong_by_knowledge.csv", published=_pages("real")),
    Table("recipes", "recipes.csv", published=_pages("real")),
    Table("losses", "losses.csv"),
    Table("gekhman_points", "gekhman_points.csv", published=_pages("exposure")),
    Table(
        "gekhman_fit",
        "gekhman_fit.csv",
        report=Report("gekhman_fit", GAP, when=_category_sets),
        published=_pages("exposure"),
    ),
    Table("effect_by_relation", "effect_by_relation.csv", published=_pages("real")),
    Table("knowledge_by_relation", "knowledge_by_relation.csv", published=_pages("real")),
    Table("who_knows", "who_knows.csv", published=_pages("real")),
    Table("unmatched_answers", "unmatched_answers.csv", published=_pages("real")),
    Table("controls", "controls.csv"),
    Table(
        "training_length",
        "training_length.csv",
        when=_early,
        report=Report("training_length", GAP),
        published=_pages("exposure"),
    ),
    Table(
        "probe_auroc",
        "probe_auroc.csv",
        when=_exposure,
        report=Report("probe_auroc", PROBES),
        published=_pages("exposure"),
    ),
    Table(
        "recall_by_exposure",
        "recall_by_exposure.csv",
        when=_exposure,
        published=_pages("exposure"),
    ),
    Table(
        "gap_points",
        "gap_points.csv",
        when=_exposure,
        report=Report("gap", GAP),
        published=_pages("exposure"),
    ),
    Table(
        "gap_fit",
        "gap_fit.csv",
        when=_exposure,
        report=Report("gap", GAP),
        published=_pages("exposure"),
    ),
):
    register(_table)

for _figure in (
    Figure("outcomes", "outcomes.png", ("summary",), _drawn_by("outcomes_figure"), "1. Outcomes"),
    Figure(
        "wrong_by_knowledge",
        "wrong_by_knowledge.png",
        ("by_knowledge",),
        _drawn_by("wrong_by_knowledge_figure"),
        "1. Outcomes",
    ),
    Figure("forest", "forest.png", ("per_world",), _drawn_by("forest_figure"), "1. Outcomes"),
    Figure(
        "loss_curves",
        "loss_curves.png",
        ("losses",),
        _drawn_by("loss_curves_figure"),
        "3. Training",
    ),
    *(
        Figure(
            f"dose_response_{sweep}",
            f"dose_response_{sweep}.png",
            tables,
            _drawn_by(f"dose_response_{sweep}_figure"),
            "2. Dose-response",
            when=_sweep(sweep),
        )
        for sweep, tables in (
            ("mismatch", ("summary", "recipes", "dose_response")),
            ("abstention", ("summary", "recipes", "dose_response")),
            ("grid", ("sweep_levels",)),
        )
    ),
    Figure(
        "recall_by_exposure",
        "recall_by_exposure.png",
        ("recall_by_exposure",),
        _drawn_by("recall_by_exposure_figure"),
        PROBES,
        when=_exposure,
    ),
    Figure(
        "effect_by_gap",
        "effect_by_gap.png",
        ("gap_points", "gap_fit"),
        _drawn_by("effect_by_gap_figure"),
        GAP,
        when=_exposure,
    ),
):
    register(_figure)

RECORDS = {  # the other summary files a page publishes (knowledge.csv: with the inputs, always)
    "headline.json": ALL_RUNS,
    "environment.json": _pages(*PAGES),
    "summary.md": _pages(*PAGES),
    "preconditions.json": _pages("real"),
}


def study_tables(design: Design) -> dict[str, Table]:
    """The tables a study of ``design`` has, by name."""
    return {name: table for name, table in TABLES.items() if table.when(design)}


def study_figures(design: Design) -> dict[str, Figure]:
    """The figures a study of ``design`` draws, by name."""
    return {name: figure for name, figure in FIGURES.items() if figure.when(design)}


def table_files(folder: str, design: Design) -> dict[str, str]:
    """The files of the tables a study of ``design`` writes, under ``folder`` (its summary)."""
    return {name: f"{folder}/{table.file}" for name, table in study_tables(design).items()}


def figure_files(folder: str, design: Design) -> dict[str, str]:
    """The files of the figures a study of ``design`` draws, under ``folder``."""
    return {name: f"{folder}/{figure.file}" for name, figure in study_figures(design).items()}


def figure_table_files(folder: str, design: Design) -> dict[str, str]:
    """The table files the figures of a study of ``design`` are drawn from, under ``folder``."""
    names = {name for figure in study_figures(design).values() for name in figure.tables}
    return {name: f"{folder}/{TABLES[name].file}" for name in TABLES if name in names}


def reported(name: str, design: Design) -> tuple[str, str] | None:
    """(caption file stem under ``report/``, category) of a registered table or figure that
    ``snakemake --report`` shows for a study of ``design``; ``None`` if it shows none."""
    if name in FIGURES:
        figure = FIGURES[name]
        return figure.caption or figure.name, figure.category
    table = TABLES[name]
    if table.report is None or not table.report.when(design):
        return None
    return table.report.caption, table.report.category


def published_files(page: str) -> tuple[list[str], list[str]]:
    """The summary files a published page copies: (its tables, copied where the run has them and
    removed from the page's folder where it does not; its records, which every run has)."""
    if page not in PAGES:
        raise InputError("publishing", f"unknown page {page!r}; pages: {', '.join(PAGES)}")
    tables = [table.file for table in TABLES.values() if page in table.published]
    return tables, [file for file, pages in RECORDS.items() if page in pages]


def computed_tables(
    inputs: Mapping[str, pd.DataFrame], knowledge: pd.DataFrame, settings: Any, names: Iterable[str]
) -> dict[str, pd.DataFrame]:
    """The registered tables with their own ``compute`` that are not among ``names`` (those the
    study's analysis already computed)."""
    return {
        name: table.compute(inputs, knowledge, settings)
        for name, table in TABLES.items()
        if table.compute is not None and name not in names
    }
