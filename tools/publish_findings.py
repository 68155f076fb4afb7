"""Publish a finished run's findings: its summary tables into docs/results/, its figures into
figures/, its full summary into docs/findings.md, and the headline into the README.

    .venv/bin/python tools/publish_findings.py results/worlds8 --config configs/worlds8.yaml
                                       # the study's folder; its working directory (two folders
                                       # up) holds .snakemake/log/
    .venv/bin/python tools/publish_findings.py results/exposure --config configs/exposure.yaml \
        --exposure
                                       # the exposure world's run: docs/results/exposure/,
                                       # docs/exposure.md and the README's exposure block;
                                       # add --paper-regime results/paper-regime
                                       #     configs/paper-regime.yaml
    .venv/bin/python tools/publish_findings.py results/real-small \
        --config configs/real-small.yaml --real
                                       # the real-model study: docs/results/real-small/,
                                       # docs/real-small.md and the README's real-model block
    .venv/bin/python tools/publish_findings.py --check   # exit 1 if README or findings.md differ
                                                         # from what docs/results/ renders

Nothing in the README's findings block or docs/findings.md is typed by hand: both are rendered
from the committed tables, and tests/test_findings.py checks that they still are.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.analysis.confirmation import primary_contrast, verdict, world_table  # noqa: E402
from mismatch.analysis.gap import TRIVIAQA_UNFILTERED_DEV  # noqa: E402
from mismatch.configuration import layered_config, teacher_of, validated  # noqa: E402
from mismatch.knowing.knowledge_checks import (  # noqa: E402
    knowledge_gaps,
    known_rate_table,
    other_definition,
    study_definition,
)
from mismatch.report.confirmation_prose import confirmation_markdown  # noqa: E402
from mismatch.report.contrast_prose import contrast_row, contrast_sentence, control_sentence  # noqa: E402
from mismatch.report.correction_page import (  # noqa: E402
    corrections_section,
    corrections_sentence,
)
from mismatch.report.figures import plot_effect_by_gap  # noqa: E402
from mismatch.report.rendering import (  # noqa: E402
    default_world_sentence,
    exposure_findings_markdown,
    exposure_readme_markdown,
    findings_markdown,
    format_pct,
    format_points,
    paper_regime_sentence,
    plain_finding,
)

RESULTS = ROOT / "docs" / "results"
README = ROOT / "README.md"
FINDINGS = ROOT / "docs" / "findings.md"
START, END = "<!-- findings:start -->", "<!-- findings:end -->"
EXPOSURE_START, EXPOSURE_END = "<!-- exposure:start -->", "<!-- exposure:end -->"
EXPOSURE_RESULTS = RESULTS / "exposure"
EXPOSURE_PAGE = ROOT / "docs" / "exposure.md"
EXPOSURE_TABLES = (
    "knowledge.csv",
    "contrasts.csv",
    "probe_auroc.csv",
    "recall_by_exposure.csv",
    "environment.json",
    "summary.md",
)
EXPOSURE_OPTIONAL = (  # tables a run has when its config asks for them
    "gap_points.csv",
    "gap_fit.csv",
    "training_length.csv",
    "gekhman_points.csv",
    "gekhman_fit.csv",
    "dose_response.csv",  # the mismatch x abstention grid (configs/exposure.yaml's sweeps)
    "sweep_levels.csv",
    "grid_counts.csv",
    "grid_interaction.csv",
)
EXPOSURE_EXTRAS = ("gap_fit", "training_length", "gekhman_fit", "grid_counts", "grid_interaction")
EXPOSURE_FIGURES = ("recall_by_exposure.png", "effect_by_gap.png")
EXPOSURE_GRID_FIGURE = ("dose_response_grid.png", "exposure_dose_response_grid.png")  # renamed:
# the default study's grid figure keeps its name
PAPER_REGIME_RESULTS = EXPOSURE_RESULTS / "paper-regime"
CONFIRM_RESULTS = EXPOSURE_RESULTS / "paper-regime-confirm"
CONFIRM_START, CONFIRM_END = "<!-- confirm:start -->", "<!-- confirm:end -->"
PREREGISTRATION = "docs/preregistration/paper-regime.md"
REAL_RESULTS = RESULTS / "real-small"
REAL_PAGE = ROOT / "docs" / "real-small.md"
REAL_FIGURES = ROOT / "figures" / "real-small"
REAL_START, REAL_END = "<!-- real:start -->", "<!-- real:end -->"
REAL_EXTRA_TABLES = (
    "knowledge_by_relation.csv",
    "who_knows.csv",
    "effect_by_relation.csv",
    "wrong_by_knowledge.csv",
    "unmatched_answers.csv",
    "recipes.csv",
    "preconditions.json",
)
PAPER_REGIME_TABLES = (
    "knowledge.csv",
    "contrasts.csv",
    "per_world.csv",
    "environment.json",
    "summary.md",
)
TABLES = (
    "summary.csv",
    "contrasts.csv",
    "per_world.csv",
    "robustness.csv",
    "dose_response.csv",
    "sweep_levels.csv",
    "headline.json",
    "environment.json",
    "summary.md",
)


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$", re.M)


def run_wall_seconds(study: Path) -> float:
    """Wall time of the study's run: for each Snakemake invocation that did work for it (a log
    under the working directory's .snakemake/log/ that names the study's folder), its last
    timestamp minus its first, summed."""
    study = study.resolve()
    workdir, marker = study.parents[1], f"{study.parent.name}/{study.name}/"
    total = 0.0
    for log in sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log")):
        text = log.read_text()
        if marker not in text:
            continue  # another study's run from the same checkout
        stamps = [
            datetime.strptime(" ".join(s.split()), "%a %b %d %H:%M:%S %Y")
            for s in _STAMP.findall(text)
        ]
        if len(stamps) >= 2:
            total += (stamps[-1] - stamps[0]).total_seconds()
    if total <= 0:
        raise SystemExit(f"{workdir}: no Snakemake log of {marker} with job timestamps")
    return total


def run_figures(study: Path) -> list[Path]:
    """The figures the study's run drew (its own folder holds no others)."""
    return sorted((study / "figures").glob("*.png"))


def run_line(run: dict[str, object], env: dict[str, object]) -> str:
    """Which config produced the findings, and how long it took where."""
    line = (
        f"Run: `{run['config']}`, wall time {float(run['wall_s']) / 60:.0f} min on "
        f"{env['cpus']} CPUs ({env['cpu']}), {env['threads_per_job']} thread(s) per job."
    )
    return f"{line} {run['note']}" if run.get("note") else line


def rendered(results: Path = RESULTS) -> tuple[str, str]:
    """(README block, docs/findings.md) rendered from the committed tables."""
    headline = json.loads((results / "headline.json").read_text())
    block = findings_markdown(
        headline,
        pd.read_csv(results / "summary.csv"),
        pd.read_csv(results / "dose_response.csv"),
        pd.read_csv(results / "robustness.csv"),
        pd.read_csv(results / "sweep_levels.csv"),
    )
    env = json.loads((results / "environment.json").read_text())
    run = json.loads((results / "run.json").read_text())
    line = run_line(run, env)
    block = f"{line}{_replaced(run)}\n\n{block}"
    plain = plain_finding(headline, pd.read_csv(results / "summary.csv"))
    readme_block = (
        f"{plain}\n{line} Every table: [docs/findings.md](docs/findings.md), rendered from "
        "[docs/results/](docs/results/).\n"
    )
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    page = (
        "# Findings of the committed run\n\n"
        "<!-- Generated by tools/publish_findings.py from docs/results/: do not edit. -->\n\n"
        f"Run on {env['cpu']} ({env['cpus']} CPUs), Python {env['python']}; {packages}. "
        "The tables behind every number are in [results/](results/); the figures in "
        "[../figures/](../figures/) come from the same run.\n\n"
        f"## Headline\n\n{block}\n"
        + repooled_note(results)
        + (results / "summary.md").read_text().replace("\n# ", "\n## ", 1)
    )
    return readme_block, page


def repooled_note(results: Path) -> str:
    """The "new worlds" rows recomputed after the run (tools/repool_published.py), before the
    run's own summary, which shows them as the run printed them."""
    path = results / "repooled.json"
    if not path.exists():
        return ""
    record = json.loads(path.read_text())
    lines = [
        "## Corrections after the run",
        "",
        f'The "new worlds" rows were recomputed with {record["method"]}, from '
        f"{record['from']}. The summary below is the run's own text; where it differs, these "
        "rows hold (wrong-rate difference, percentage points):",
        "",
    ]
    for change in record["changed"]:
        before, after = change["before"], change["after"]
        lines.append(
            f"- `{change['treatment']} - {change['control']}` ({change['student']}): "
            f"{format_points(*after)}, was {format_points(*before)}."
        )
    if not record["changed"]:
        lines.append("- No row changed by 0.05 points or more.")
    return "\n".join(lines) + "\n\n"


def readme_with(block: str, readme: str, start: str = START, end: str = END) -> str:
    """The README text with its block between ``start`` and ``end`` replaced."""
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}{end}{tail}"


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
    return run, contrasts, f"{sentence} Wall time {float(run['wall_s']) / 60:.0f} min{_note(run)}."


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
            f"the result): {sentence}{_replaced(run)}\n"
        )
    return lines


def confirm_readme_block(results: Path | None = None) -> str:
    """The README's sentence on the pre-registered confirmatory run: its registered verdict,
    estimate and sign test, generated from its tables."""
    confirm = (EXPOSURE_RESULTS if results is None else results) / "paper-regime-confirm"
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


def replaced_runs(destination: Path) -> list[dict[str, object]]:
    """The runs published in ``destination`` before the one about to replace them: the earlier
    record's own list plus its primary estimate ("these worlds") and commit, so that a replaced
    run stays disclosed beside its successor."""
    if not (destination / "contrasts.csv").exists():
        return []
    record = json.loads((destination / "run.json").read_text())
    contrast = primary_contrast(pd.read_csv(destination / "contrasts.csv"))
    commit = json.loads((destination / "environment.json").read_text()).get("git_commit")
    return [
        *record.get("earlier", []),
        {
            "commit": str(commit)[:12],
            "estimate": float(contrast["estimate"]),
            "low": float(contrast["low"]),
            "high": float(contrast["high"]),
        },
    ]


def _replaced(run: dict[str, object]) -> str:
    """The sentence disclosing the runs a published run replaced (empty without any)."""
    earlier = run.get("earlier") or []
    if not earlier:
        return ""
    shown = "; ".join(
        f"{format_points(e['estimate'], e['low'], e['high'])} (commit {e['commit']})"
        for e in earlier
    )
    return (
        f" It replaces the run(s) published before with the same config, which gave {shown}: "
        "the same design rerun on later code and possibly another machine (docs/statistics.md, "
        "what is bit-identical)."
    )


def _note(run: dict[str, object]) -> str:
    """A run record's note (e.g. that the machine was shared), as a clause."""
    return f"; {run['note']}" if run.get("note") else ""


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


def exposure_readme_block(results: Path | None = None) -> str:
    """The README's exposure block: the success rule, the gap line and its paper-regime
    prediction, training length, Gekhman's fit, and which world the default uses."""
    results = EXPOSURE_RESULTS if results is None else results
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
        f"(../figures/{EXPOSURE_GRID_FIGURE[1]})\n\n"
    )


def exposure_rendered(results: Path | None = None) -> str:
    """docs/exposure.md rendered from the committed exposure run's tables."""
    results = EXPOSURE_RESULTS if results is None else results
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
    return (
        "# The exposure world: findings of the committed run\n\n"
        "<!-- Generated by tools/publish_findings.py --exposure from docs/results/exposure/: "
        "do not edit. -->\n\n"
        f"{run_line(run, env)}{_replaced(run)}\n\n{block}\n"
        "![Recall against exposure](../figures/recall_by_exposure.png)\n\n"
        "![The effect against the knowledge gap](../figures/effect_by_gap.png)\n\n"
        + _grid_figure(extras)
        + confirmation_section(results)
        + (results / "summary.md").read_text().replace("\n# ", "\n## ", 1)
    )


def publish_paper_regime(
    study: Path, config: str, destination: Path, note: str | None = None
) -> None:
    """Copy a paper-regime run's tables and labelled answers beside the exposure run's (the
    exploratory run into paper-regime/, the pre-registered one into paper-regime-confirm/)."""
    refuse_dirty_run(study)
    destination.mkdir(parents=True, exist_ok=True)
    earlier = replaced_runs(destination)
    for name in PAPER_REGIME_TABLES:
        shutil.copy2(study / "summary" / name, destination / name)
    publish_inputs(study, destination)
    run = {"config": config, "wall_s": run_wall_seconds(study), "note": note, "earlier": earlier}
    (destination / "run.json").write_text(json.dumps(run, indent=2) + "\n")


def publish_exposure(study: Path, config: str) -> None:
    """Copy an exposure-world run's tables and figure, and render the README's exposure block."""
    refuse_dirty_run(study)
    EXPOSURE_RESULTS.mkdir(parents=True, exist_ok=True)
    earlier = replaced_runs(EXPOSURE_RESULTS)
    for name in EXPOSURE_TABLES:
        shutil.copy2(study / "summary" / name, EXPOSURE_RESULTS / name)
    publish_inputs(study, EXPOSURE_RESULTS)
    for name in EXPOSURE_OPTIONAL:
        source = study / "summary" / name
        if source.exists():
            shutil.copy2(source, EXPOSURE_RESULTS / name)
        else:
            (EXPOSURE_RESULTS / name).unlink(missing_ok=True)
    settings = validated(layered_config([ROOT / config]))
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
    (EXPOSURE_RESULTS / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    for name in EXPOSURE_FIGURES:
        shutil.copy2(study / "figures" / name, ROOT / "figures" / name)
    grid_source, grid_name = EXPOSURE_GRID_FIGURE
    if (study / "figures" / grid_source).exists():
        shutil.copy2(study / "figures" / grid_source, ROOT / "figures" / grid_name)
    else:
        (ROOT / "figures" / grid_name).unlink(missing_ok=True)
    if (EXPOSURE_RESULTS / "gap_points.csv").exists():  # redrawn with the paper-regime runs
        plot_effect_by_gap(
            pd.read_csv(EXPOSURE_RESULTS / "gap_points.csv"),
            pd.read_csv(EXPOSURE_RESULTS / "gap_fit.csv"),
            ROOT / "figures" / "effect_by_gap.png",
            paper_regime_points(EXPOSURE_RESULTS),
        )
    EXPOSURE_PAGE.write_text(exposure_rendered())
    if (CONFIRM_RESULTS / "run.json").exists() and CONFIRM_START in README.read_text():
        README.write_text(
            readme_with(confirm_readme_block(), README.read_text(), CONFIRM_START, CONFIRM_END)
        )
    if EXPOSURE_START in README.read_text():  # a README that shows the exposure block
        README.write_text(
            readme_with(exposure_readme_block(), README.read_text(), EXPOSURE_START, EXPOSURE_END)
        )


def refuse_dirty_run(study: Path) -> None:
    """Publishing needs a run whose code is a commit: one made from a tree with uncommitted
    changes (environment.json's git_commit ends in -dirty) cannot be reproduced."""
    environment = json.loads((study / "summary" / "environment.json").read_text())
    commit = str(environment.get("git_commit"))
    if commit.endswith("-dirty") or commit == "None":
        raise SystemExit(
            f"{study}: the run's code is {commit}, not a commit; commit the change, rerun the "
            "analysis (snakemake ... results/<study>/summary/summary.md), then publish"
        )


def publish_inputs(study: Path, destination: Path) -> None:
    """Copy the gathered inputs the study's tables were computed from (every labelled answer,
    the test questions, sets, losses, probes) and its knowledge table, so anyone can recompute
    the published tables (tools/recompute_tables.py)."""
    shutil.rmtree(destination / "inputs", ignore_errors=True)
    shutil.copytree(study / "summary" / "inputs", destination / "inputs")
    shutil.copy2(study / "summary" / "knowledge.csv", destination / "knowledge.csv")


def publish(study: Path, config: str, note: str | None = None) -> None:
    refuse_dirty_run(study)
    RESULTS.mkdir(parents=True, exist_ok=True)
    earlier = replaced_runs(RESULTS)
    (RESULTS / "repooled.json").unlink(missing_ok=True)  # corrected the replaced run only
    for name in TABLES:
        shutil.copy2(study / "summary" / name, RESULTS / name)
    publish_inputs(study, RESULTS)
    run = {"config": config, "wall_s": run_wall_seconds(study), "note": note, "earlier": earlier}
    (RESULTS / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    figures = run_figures(study)
    for stale in (ROOT / "figures").glob("*.png"):
        if stale.name not in {f.name for f in figures} | set(EXPOSURE_FIGURES):
            stale.unlink()  # a figure this run did not draw (e.g. a sweep it no longer has)
    for figure in figures:
        shutil.copy2(figure, ROOT / "figures" / figure.name)
    block, page = rendered()
    README.write_text(readme_with(block, README.read_text()))
    FINDINGS.write_text(page)


def publish_real(study: Path, config: str, note: str | None = None) -> None:
    """Copy a real-model run (both models students of each other: configs/real-small.yaml):
    its tables, inputs and figures into docs/results/real-small/ and figures/real-small/, its
    page docs/real-small.md, and the README's real-model block."""
    refuse_dirty_run(study)
    REAL_RESULTS.mkdir(parents=True, exist_ok=True)
    for name in (*TABLES, *REAL_EXTRA_TABLES):
        shutil.copy2(study / "summary" / name, REAL_RESULTS / name)
    publish_inputs(study, REAL_RESULTS)
    settings = validated(layered_config([ROOT / config]))
    directions = {}
    for student in settings["students"]:
        recipe = next(
            r
            for r in settings["recipes"]
            if teacher_of(settings, r, student) not in (None, student)
        )
        teacher = teacher_of(settings, recipe, student)
        directions[student] = {"treatment": recipe, "teacher": teacher}
    run = {
        "config": config,
        "wall_s": run_wall_seconds(study),
        "note": note,
        "params_b": {m: spec.get("params_b") for m, spec in settings["models"].items()},
        "directions": directions,
        "preregistration": "docs/preregistration/real-small.md",
    }
    (REAL_RESULTS / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    shutil.rmtree(REAL_FIGURES, ignore_errors=True)
    REAL_FIGURES.mkdir(parents=True)
    for figure in run_figures(study):
        shutil.copy2(figure, REAL_FIGURES / figure.name)
    block, page = real_rendered()
    README.write_text(readme_with(block, README.read_text(), REAL_START, REAL_END))
    REAL_PAGE.write_text(page)


def real_rendered(results: Path = REAL_RESULTS) -> tuple[str, str]:
    """(README block, docs/real-small.md) rendered from the committed real-model run."""
    run = json.loads((results / "run.json").read_text())
    env = json.loads((results / "environment.json").read_text())
    contrasts = pd.read_csv(results / "contrasts.csv")
    summary = pd.read_csv(results / "summary.csv")
    sets = pd.read_csv(results / "recipes.csv")
    sentences, controls = [], []
    for student, direction in run["directions"].items():
        row = contrast_row(contrasts, student, direction["treatment"], "own")
        if row is None:
            continue
        teacher = direction["teacher"]
        size = "larger" if run["params_b"][teacher] > run["params_b"][student] else "smaller"
        sentences.append(
            contrast_sentence(row, summary, f"the {size} `{teacher}`'s answers", "countries", sets)
        )
        controls.append(control_sentence(contrasts, student, direction["treatment"], "own"))
    line = run_line(run, env)
    prereg = f"[{run['preregistration']}]({run['preregistration']})"
    corrected, section = "", ""
    if (results / "corrections").is_dir():  # tools/correct_published_run.py (issue 31)
        paper, reverse = list(run["directions"])
        n_boot = validated(layered_config([ROOT / run["config"]]))["summary"]["n_boot"]
        corrected = corrections_sentence(results / "corrections", paper, reverse) + "\n"
        section = corrections_section(results / "corrections", paper, reverse, n_boot)
    readme_block = (
        f"{' '.join(sentences)}\n{line} Design pre-registered in {prereg}; every table: "
        "[docs/real-small.md](docs/real-small.md), rendered from "
        "[docs/results/real-small/](docs/results/real-small/).\n" + corrected
    )
    figures = sorted(p.name for p in REAL_FIGURES.glob("*.png"))
    speed = ""
    if (results / "benchmark.json").exists():  # tools/benchmark.py --per-model --json ...
        from tools.benchmark import per_model_report

        measured = json.loads((results / "benchmark.json").read_text())
        speed = (
            "## Speed on the machine that ran it\n\n"
            f"Measured by `tools/benchmark.py --per-model` after the run, on "
            f"{measured['machine']['processor']} ({measured['machine']['cpus']} CPUs), "
            f"{measured['machine']['date']}, 1-minute load average "
            f"{measured['machine']['load_average_before']:.1f} before:\n\n"
            f"```\n{per_model_report(measured)}\n```\n\n"
        )
    page = (
        "# The real-model study: findings of the committed run\n\n"
        "<!-- Generated by tools/publish_findings.py --real from docs/results/real-small/: "
        "do not edit. -->\n\n"
        f"{line}\n\nThe design was committed before this run: "
        f"[{run['preregistration']}]({run['preregistration'].removeprefix('docs/')}). "
        "Every labelled answer is in [results/real-small/inputs/](results/real-small/inputs/); "
        "`tools/recompute_tables.py docs/results/real-small` recomputes every table.\n\n"
        + "".join(f"- {s}\n" for s in sentences)
        + "".join(f"- {c}\n" for c in controls if c)
        + "\n"
        + section
        + "".join(f"![{name}](../figures/real-small/{name})\n\n" for name in figures)
        + speed
        + ("\n" + (results / "summary.md").read_text()).replace("\n# ", "\n## ", 1).lstrip("\n")
    )
    return readme_block, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "study", nargs="?", type=Path, help="a finished study's folder (results/<study>)"
    )
    parser.add_argument(
        "--config", help="the config the run used, as given to snakemake (recorded, shown)"
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument(
        "--exposure", action="store_true", help="the run is of the exposure world (its own block)"
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="the run is the real-model study (docs/real-small.md and the README's real block)",
    )
    parser.add_argument(
        "--note", help="one sentence shown after the run line (e.g. the machine was shared)"
    )
    parser.add_argument(
        "--paper-regime",
        nargs=2,
        metavar=("STUDY", "CONFIG"),
        help="with --exposure: also the paper-regime run (configs/paper-regime.yaml)",
    )
    parser.add_argument(
        "--paper-regime-confirm",
        nargs=2,
        metavar=("STUDY", "CONFIG"),
        help="with --exposure: also the pre-registered confirmatory run "
        "(configs/paper-regime-confirm.yaml)",
    )
    args = parser.parse_args()
    if args.check:
        block, page = rendered()
        readme = README.read_text()
        checks = [
            ("README.md", readme_with(block, readme) == readme),
            ("docs/findings.md", FINDINGS.read_text() == page),
        ]
        if (EXPOSURE_RESULTS / "run.json").exists():
            checks.append(("docs/exposure.md", EXPOSURE_PAGE.read_text() == exposure_rendered()))
        if (EXPOSURE_RESULTS / "run.json").exists() and EXPOSURE_START in readme:
            block = exposure_readme_block()
            fresh = readme_with(block, readme, EXPOSURE_START, EXPOSURE_END) == readme
            checks.append(("README.md (exposure block)", fresh))
        if (CONFIRM_RESULTS / "run.json").exists() and CONFIRM_START in readme:
            fresh = readme_with(confirm_readme_block(), readme, CONFIRM_START, CONFIRM_END)
            checks.append(("README.md (confirmation block)", fresh == readme))
        if (REAL_RESULTS / "run.json").exists():
            block, page = real_rendered()
            checks.append(("docs/real-small.md", REAL_PAGE.read_text() == page))
            fresh = readme_with(block, readme, REAL_START, REAL_END) == readme
            checks.append(("README.md (real-model block)", fresh))
        stale = [name for name, ok in checks if not ok]
        if stale:
            print(
                f"out of date: {', '.join(stale)}; run tools/publish_findings.py", file=sys.stderr
            )
            return 1
        return 0
    if args.study is None or args.config is None:
        parser.error("give a finished study's folder and --config, or --check")
    if args.real:
        publish_real(args.study, args.config, args.note)
    elif args.exposure:
        if args.paper_regime:
            publish_paper_regime(
                Path(args.paper_regime[0]), args.paper_regime[1], PAPER_REGIME_RESULTS
            )
        if args.paper_regime_confirm:
            study, config = args.paper_regime_confirm
            publish_paper_regime(Path(study), config, CONFIRM_RESULTS, args.note)
        publish_exposure(args.study, args.config)
    else:
        publish(args.study, args.config, args.note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
