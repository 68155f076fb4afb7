"""The real-model study's published run: docs/results/real-small/, figures/real-small/,
docs/real-small.md and the README's real-model block."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from mismatch.configuration import layered_config, teacher_of, validated
from mismatch.publishing.contrast_prose import contrast_row, contrast_sentence, control_sentence
from mismatch.publishing.correction_page import corrections_section, corrections_sentence
from mismatch.publishing.runs import (
    copy_published,
    publish_inputs,
    readme_with,
    refuse_dirty_run,
    run_figures,
    run_line,
    run_wall_seconds,
)
from mismatch.publishing.site import REAL_END, REAL_START, SITE, Site
from mismatch.publishing.speed_text import per_model_report
from mismatch.publishing.summaries import REAL_QUESTION, contrast_answer, screen, table_links
from mismatch.report.rendering import name_clusters, outcome_table


def publish_real(study: Path, config: str, note: str | None = None, site: Site = SITE) -> None:
    """Copy a real-model run (both models students of each other: configs/real-small.yaml):
    its tables, inputs and figures into docs/results/real-small/ and figures/real-small/, its
    page docs/real-small.md, and the README's real-model block."""
    refuse_dirty_run(study)
    results = site.real_results
    results.mkdir(parents=True, exist_ok=True)
    copy_published(study, results, "real")
    publish_inputs(study, results)
    settings = validated(layered_config([site.root / config]))
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
    (results / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    shutil.rmtree(site.real_figures, ignore_errors=True)
    site.real_figures.mkdir(parents=True)
    for figure in run_figures(study):
        shutil.copy2(figure, site.real_figures / figure.name)
    block, page = real_rendered(site)
    site.readme.write_text(readme_with(block, site.readme.read_text(), REAL_START, REAL_END))
    site.real_page.write_text(page)


def real_rendered(site: Site = SITE) -> tuple[str, str]:
    """(README block, docs/real-small.md) rendered from the committed real-model run."""
    results = site.real_results
    run = json.loads((results / "run.json").read_text())
    env = json.loads((results / "environment.json").read_text())
    contrasts = pd.read_csv(results / "contrasts.csv")
    summary = pd.read_csv(results / "summary.csv")
    sets = pd.read_csv(results / "recipes.csv")
    sentences, controls, answers, rows = [], [], [], []
    for student, direction in run["directions"].items():
        row = contrast_row(contrasts, student, direction["treatment"], "own")
        if row is None:
            continue
        teacher = direction["teacher"]
        answers.append(contrast_answer(row, teacher, "countries"))
        rows += [(student, "own"), (student, direction["treatment"])]
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
        n_boot = validated(layered_config([site.root / run["config"]]))["summary"]["n_boot"]
        corrected = corrections_sentence(results / "corrections", paper, reverse) + "\n"
        section = corrections_section(results / "corrections", paper, reverse, n_boot)
    readme_block = (
        f"{' '.join(sentences)}\n{line} Design pre-registered in {prereg}; every table: "
        "[docs/real-small.md](docs/real-small.md), rendered from "
        "[docs/results/real-small/](docs/results/real-small/).\n" + corrected
    )
    figures = sorted(p.name for p in site.real_figures.glob("*.png"))
    speed = ""
    if (results / "benchmark.json").exists():  # tools/benchmark.py --per-model --json ...
        measured = json.loads((results / "benchmark.json").read_text())
        speed = (
            "## Speed on the machine that ran it\n\n"
            f"Measured by `tools/benchmark.py --per-model` after the run, on "
            f"{measured['machine']['processor']} ({measured['machine']['cpus']} CPUs), "
            f"{measured['machine']['date']}, 1-minute load average "
            f"{measured['machine']['load_average_before']:.1f} before:\n\n"
            f"```\n{per_model_report(measured)}\n```\n\n"
        )
    top = screen(
        REAL_QUESTION,
        " ".join(answers) or "The run has no contrast of the two directions.",
        name_clusters(outcome_table(summary, rows), "country"),
        ("Test outcomes per recipe", "../figures/real-small/outcomes.png"),
        table_links("results/real-small", "results/real-small"),
    )
    page = (
        "# The real-model study: findings of the committed run\n\n"
        "<!-- Generated by tools/publish_findings.py --real from docs/results/real-small/: "
        "do not edit. -->\n\n" + top + section + "## The run\n\n"
        f"{line}\n\nThe design was committed before this run: "
        f"[{run['preregistration']}]({run['preregistration'].removeprefix('docs/')}). "
        "Every labelled answer is in [results/real-small/inputs/](results/real-small/inputs/); "
        "`tools/recompute_tables.py docs/results/real-small` recomputes every table.\n\n"
        + "".join(f"- {s}\n" for s in sentences)
        + "".join(f"- {c}\n" for c in controls if c)
        + "\n"
        + "".join(
            f"![{name}](../figures/real-small/{name})\n\n"
            for name in figures
            if name != "outcomes.png"  # the summary's figure
        )
        + speed
    )
    return readme_block, page
