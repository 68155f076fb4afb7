"""The exposure world's published runs: docs/results/exposure/ (with the paper-regime runs
beside it), its figures, docs/exposure.md and the README's exposure and confirmation blocks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from mismatch.analysis.confirmation import primary_contrast, verdict, world_table
from mismatch.analysis.gap import TRIVIAQA_UNFILTERED_DEV
from mismatch.configuration import layered_config, validated
from mismatch.knowing.knowledge_checks import (
    knowledge_gaps,
    known_rate_table,
    other_definition,
    study_definition,
)
from mismatch.publishing.confirmation_prose import confirmation_markdown
from mismatch.publishing.prose import (
    default_world_sentence,
    exposure_findings_markdown,
    exposure_readme_markdown,
    paper_regime_sentence,
)
from mismatch.publishing.runs import (
    copy_published,
    note_clause,
    publish_inputs,
    readme_with,
    refuse_dirty_run,
    replaced_runs,
    replaced_sentence,
    run_line,
    run_wall_seconds,
)
from mismatch.publishing.site import (
    CONFIRM_END,
    CONFIRM_START,
    EXPOSURE_END,
    EXPOSURE_START,
    PREREGISTRATION,
    SITE,
    Site,
)
from mismatch.publishing.summaries import (
    EXPOSURE_QUESTION,
    screen,
    table_links,
    teacher_rows,
    teacher_table,
    teachers_answer,
)
from mismatch.report.figures import plot_effect_by_gap
from mismatch.report.formatting import format_pct, format_points

EXPOSURE_EXTRAS = ("gap_fit", "training_length", "gekhman_fit", "grid_counts", "grid_interaction")
EXPOSURE_FIGURES = ("recall_by_exposure.png", "effect_by_gap.png", "dose_response_grid.png")


def _exposure_tables(results: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame, dict]:
    """The run record, the knowledge gaps by the study's definition of knowing and by the other
    (``knowledge.other_definition``, a sensitivity row), and the optional tables."""
    run = json.loads((results / "run.json").read_text())
    knowledge = pd.read_csv(results / "knowledge.csv")
    gaps = knowledge_gaps(knowledge, run["student"], run["teachers"])
    other = other_definition(knowledge)
    truth = knowledge_gaps(knowledge, run["student"], run["teachers"], definition=other)
    extras = {
        name: pd.read_csv(results / f"{name}.csv")
        for name in EXPOSURE_EXTRAS
        if (results / f"{name}.csv").exists() and (results / f"{name}.csv").stat().st_size > 1
    }
    return run, gaps, truth, extras


def _paper_regime_item(folder: Path) -> tuple[dict, pd.DataFrame, str]:
    """A published paper-regime run's record, contrasts and sentence with its wall time."""
    run = json.loads((folder / "run.json").read_text())
    contrasts = pd.read_csv(folder / "contrasts.csv")
    sentence = paper_regime_sentence(
        pd.read_csv(folder / "knowledge.csv"), contrasts, run["config"], TRIVIAQA_UNFILTERED_DEV
    )
    wall = f"Wall time {float(run['wall_s']) / 60:.0f} min{note_clause(run)}"
    return run, contrasts, f"{sentence} {wall}."


def paper_regime_lines(results: Path) -> str:
    """The paper-regime runs as list items: the pre-registered confirmation's verdict first,
    then the earlier exploratory run (empty without those runs)."""
    lines = ""
    confirm = results / "paper-regime-confirm"
    if (confirm / "run.json").exists():
        _, contrasts, sentence = _paper_regime_item(confirm)
        contrast = primary_contrast(contrasts)
        lines += (
            f"- Paper regime, pre-registered confirmation ([{PREREGISTRATION}]"
            f"({PREREGISTRATION.removeprefix('docs/')}), {int(contrast['k_worlds'])} new worlds): "
            f"**{verdict(contrast)}** by the registered rule. {sentence}\n"
        )
    folder = results / "paper-regime"
    if (folder / "run.json").exists():
        run, _, sentence = _paper_regime_item(folder)
        lines += (
            "- Earlier, exploratory (the pair chosen after seeing these worlds; disclosed, not "
            f"the result): {sentence}{replaced_sentence(run)}\n"
        )
    return lines


def confirm_readme_block(site: Site = SITE) -> str:
    """The README's sentence on the pre-registered confirmatory run: its registered verdict,
    estimate and sign test, generated from its tables."""
    confirm = site.confirm_results
    contrast = primary_contrast(pd.read_csv(confirm / "contrasts.csv"))
    k = int(contrast["k_worlds"])
    pooled = format_points(
        contrast["new_worlds_estimate"], contrast["new_worlds_low"], contrast["new_worlds_high"]
    )
    return (
        f"**{verdict(contrast).capitalize()}** by the registered rule: student "
        f"`{contrast['student']}` taught by `{contrast['treatment']}` answered wrongly "
        f"{format_pct(contrast['treatment_rate'])} of the test questions against "
        f"{format_pct(contrast['control_rate'])} with its own answers; over the {k} new worlds "
        f"the difference is {pooled} points (random effects, worlds the unit), higher in "
        f"{int(contrast['worlds_higher'])} of {k} worlds (exact sign test p = "
        f"{float(contrast['worlds_sign_p']):.3f}; the rule needs both an interval above 0 and "
        "p < 0.05). Details: [docs/exposure.md](docs/exposure.md).\n"
    )


def paper_regime_points(results: Path) -> list[dict[str, object]]:
    """The paper-regime runs' effects at their measured gap (teacher's minus student's greedy
    pool accuracy, mean over worlds), for the gap figure's measured panel: the pre-registered
    run's registered estimate (new worlds) and the exploratory run's (these worlds)."""
    found = []
    for folder, label, prefix in (
        ("paper-regime-confirm", "paper regime, pre-registered (new worlds)", "new_worlds_"),
        ("paper-regime", "paper regime, exploratory (these worlds)", ""),
    ):
        if not (results / folder / "run.json").exists():
            continue
        contrast = primary_contrast(pd.read_csv(results / folder / "contrasts.csv"))
        knowledge = pd.read_csv(results / folder / "knowledge.csv")
        rates = known_rate_table(knowledge, "measured").mean()
        found.append(
            {
                "label": label,
                "gap": float(rates[contrast["treatment"]] - rates[contrast["student"]]),
                **{k: float(contrast[f"{prefix}{k}"]) for k in ("estimate", "low", "high")},
            }
        )
    return found


def confirmation_section(results: Path) -> str:
    """docs/exposure.md's section on the pre-registered confirmatory run (empty without it)."""
    confirm = results / "paper-regime-confirm"
    if not (confirm / "run.json").exists():
        return ""
    run = json.loads((confirm / "run.json").read_text())
    contrasts = pd.read_csv(confirm / "contrasts.csv")
    knowledge = pd.read_csv(confirm / "knowledge.csv")
    contrast = primary_contrast(contrasts)
    worlds = world_table(pd.read_csv(confirm / "per_world.csv"), knowledge, contrast)
    text = confirmation_markdown(
        contrast,
        worlds,
        run["config"],
        f"[{PREREGISTRATION}]({PREREGISTRATION.removeprefix('docs/')})",
        study_definition(knowledge),
    )
    return (
        "## The paper regime: the pre-registered confirmatory run\n\n"
        + text
        + "\nThe earlier runs of this regime (worlds 1-4, the pair chosen after seeing them) are "
        "disclosed in the pre-registration and above; they are not part of this result. Every "
        "labelled answer of the run is in [results/exposure/paper-regime-confirm/inputs/]"
        "(results/exposure/paper-regime-confirm/inputs/).\n\n"
    )


def exposure_readme_block(site: Site = SITE) -> str:
    """The README's exposure block: the success rule, the gap line and its paper-regime
    prediction, training length, Gekhman's fit, and which world the default uses."""
    results = site.exposure_results
    run, gaps, truth, extras = _exposure_tables(results)
    env = json.loads((results / "environment.json").read_text())
    block = exposure_readme_markdown(
        gaps,
        truth,
        run["student"],
        run["teachers"],
        extras,
        pd.read_csv(results / "probe_auroc.csv"),
        pd.read_csv(results / "recall_by_exposure.csv"),
    )
    block += paper_regime_lines(results)
    default = default_world_sentence(gaps, float(run["wall_s"]) / 60)
    return f"{run_line(run, env)}\n\n{block}\n{default}\n"


def _grid_figure(extras: dict[str, pd.DataFrame]) -> str:
    """The exposure run's mismatch x abstention grid figure, where the run has a grid (its
    ``grid_counts`` table among ``_exposure_tables``' extras)."""
    counts = extras.get("grid_counts")
    if counts is None or counts.empty:
        return ""
    return (
        "![Wrong rate over the mismatch x abstention grid, exposure world]"
        "(../figures/exposure/dose_response_grid.png)\n\n"
    )


def exposure_rendered(site: Site = SITE) -> str:
    """docs/exposure.md rendered from the committed exposure run's tables."""
    results = site.exposure_results
    run, gaps, truth, extras = _exposure_tables(results)
    block = exposure_findings_markdown(
        gaps,
        truth,
        pd.read_csv(results / "contrasts.csv"),
        pd.read_csv(results / "probe_auroc.csv"),
        pd.read_csv(results / "recall_by_exposure.csv"),
        run["student"],
        run["teachers"],
        extras,
    )
    block += paper_regime_lines(results)
    env = json.loads((results / "environment.json").read_text())
    rows = teacher_rows(
        pd.read_csv(results / "contrasts.csv"), gaps, run["student"], run["teachers"]
    )
    definition = study_definition(pd.read_csv(results / "knowledge.csv"))
    answer = teachers_answer(rows, run["student"], definition)
    if (results / "paper-regime-confirm" / "run.json").exists():
        confirm = primary_contrast(pd.read_csv(results / "paper-regime-confirm" / "contrasts.csv"))
        answer += (
            f" At the paper's regime, the pre-registered confirmatory run is **{verdict(confirm)}**"
            " by its registered rule (below)."
        )
    top = screen(
        EXPOSURE_QUESTION,
        answer,
        teacher_table(rows),
        ("The effect against the knowledge gap", "../figures/exposure/effect_by_gap.png"),
        table_links("results/exposure", "results/exposure"),
    )
    return (
        "# The exposure world: findings of the committed run\n\n"
        "<!-- Generated by tools/publish_findings.py --exposure from docs/results/exposure/: "
        "do not edit. -->\n\n" + top + "## The run\n\n"
        f"{run_line(run, env)}{replaced_sentence(run)}\n\n{block}\n"
        "![Recall against exposure](../figures/exposure/recall_by_exposure.png)\n\n"
        + _grid_figure(extras)
        + confirmation_section(results)
    )


def publish_paper_regime(
    study: Path, config: str, destination: Path, note: str | None = None
) -> None:
    """Copy a paper-regime run's tables and labelled answers beside the exposure run's (the
    exploratory run into paper-regime/, the pre-registered one into paper-regime-confirm/)."""
    refuse_dirty_run(study)
    destination.mkdir(parents=True, exist_ok=True)
    earlier = replaced_runs(destination)
    copy_published(study, destination, "paper_regime")
    publish_inputs(study, destination)
    run = {"config": config, "wall_s": run_wall_seconds(study), "note": note, "earlier": earlier}
    (destination / "run.json").write_text(json.dumps(run, indent=2) + "\n")


def publish_exposure(study: Path, config: str, site: Site = SITE) -> None:
    """Copy an exposure-world run's tables and figure, and render the README's exposure block."""
    refuse_dirty_run(study)
    results = site.exposure_results
    results.mkdir(parents=True, exist_ok=True)
    earlier = replaced_runs(results)
    copy_published(study, results, "exposure")
    publish_inputs(study, results)
    settings = validated(layered_config([site.root / config]))
    student = settings["students"][0]
    teachers = [
        name
        for name in settings["models"]
        if name != student
        and any(spec.get("teacher") == name for spec in settings["recipes"].values())
    ]
    run = {
        "config": config,
        "wall_s": run_wall_seconds(study),
        "student": student,
        "teachers": teachers,
        "earlier": earlier,
    }
    (results / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    site.exposure_figures.mkdir(parents=True, exist_ok=True)
    for name in EXPOSURE_FIGURES:  # under the run's own names, in their own folder
        if (study / "figures" / name).exists():
            shutil.copy2(study / "figures" / name, site.exposure_figures / name)
        else:
            (site.exposure_figures / name).unlink(missing_ok=True)
    if (results / "gap_points.csv").exists():  # redrawn with the paper-regime runs
        plot_effect_by_gap(
            pd.read_csv(results / "gap_points.csv"),
            pd.read_csv(results / "gap_fit.csv"),
            site.exposure_figures / "effect_by_gap.png",
            paper_regime_points(results),
        )
    site.exposure_page.write_text(exposure_rendered(site))
    readme = site.readme
    if (site.confirm_results / "run.json").exists() and CONFIRM_START in readme.read_text():
        block = confirm_readme_block(site)
        readme.write_text(readme_with(block, readme.read_text(), CONFIRM_START, CONFIRM_END))
    if EXPOSURE_START in readme.read_text():  # a README that shows the exposure block
        block = exposure_readme_block(site)
        readme.write_text(readme_with(block, readme.read_text(), EXPOSURE_START, EXPOSURE_END))
