"""An operator's safety: a finished study survives being moved, cloned, extended and edited, and
its report opens on the study (docs/operations.md).

The tiny study (``tiny_study``, conftest) is built once per session; these tests only dry-run it,
or edit a file and restore it, or copy it first. Adding sweep levels is checked on the default
and controls configs themselves: a finished default study is stood in for by placeholder outputs
that ``snakemake --touch`` records as finished (the same provenance records a real run writes).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from workflow_runs import (
    ROOT,
    git,
    load_config,
    nothing_to_do,
    planned_jobs,
    snakemake,
    write_config,
)

from mismatch.configuration import expand_sweeps

pytestmark = pytest.mark.slow


def job_set(output: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every job a dry run lists, as (rule, sorted wildcards); fails on a repeated job."""
    jobs = [(rule, tuple(sorted(w.items()))) for rule, w in planned_jobs(output)]
    assert len(jobs) == len(set(jobs)), output
    return set(jobs)


def expected(rule: str, **wildcards) -> tuple[str, tuple[tuple[str, str], ...]]:
    return rule, tuple(sorted((k, str(v)) for k, v in wildcards.items()))


def job_per(config: dict) -> str:
    """``finetune.job_per`` of ``config`` (the schema's default: one job per student)."""
    return config.get("finetune", {}).get("job_per", "student")


def recipe_jobs(config: dict, recipes, with_sets: bool = True) -> set:
    """The set and ``finetune_and_label`` jobs of ``recipes`` under ``config``: one job per
    student, per recipe or per seed (``finetune.job_per``)."""
    jobs = set()
    grouping = job_per(config)
    for w in config["seeds"]["world"]:
        for student in config["students"]:
            if recipes and grouping == "student":
                jobs.add(expected("finetune_and_label", w=w, student=student))
            for recipe in recipes:
                if with_sets:
                    jobs.add(expected("finetuning_set", w=w, student=student, recipe=recipe))
                if grouping == "recipe":
                    jobs.add(expected("finetune_and_label", w=w, student=student, recipe=recipe))
                if grouping != "seed":
                    continue
                for seed in config["seeds"]["finetune"]:
                    ids = {"w": w, "student": student, "recipe": recipe, "seed": seed}
                    jobs.add(expected("finetune_and_label", **ids))
    return jobs


FINAL = {
    expected(rule) for rule in ("gather_labels", "analyse", "render_summary", "plot_figures", "all")
}


# ---------------------------------------------------------------- adding recipes and levels


def sweep_recipes(config: dict) -> list[str]:
    """The recipes the config's sweeps expand to (levels and grid cells)."""
    expanded = copy.deepcopy(config)
    expanded["recipes"] = {}
    expand_sweeps(expanded)
    return list(expanded["recipes"])


def test_controls_beside_or_into_a_finished_default_plan_apart_or_only_what_is_new(
    tmp_path,
):
    default, controls = load_config("config.yaml"), load_config("configs/controls.yaml")
    work = tmp_path / "work"
    listed = snakemake(ROOT, work, ROOT / "config.yaml", "--summary")
    assert listed.returncode == 0, listed.output[-3000:]
    outputs = [line.split("\t")[0] for line in listed.output.splitlines() if "\tmissing\t" in line]
    assert len(outputs) > 150
    folders = re.compile(r"/(adapter|tokenizer|models/\w+)$")
    for output in outputs:
        path = work / output
        if folders.search(output):
            path.mkdir(parents=True)
            (path / "placeholder").write_text("x")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
    touched = snakemake(ROOT, work, ROOT / "config.yaml", "--touch")
    assert touched.returncode == 0, touched.output[-3000:]
    assert nothing_to_do(snakemake(ROOT, work, ROOT / "config.yaml", "-n"))

    # as its own study (results/controls/) it plans everything and leaves the default's alone
    alone = snakemake(ROOT, work, ROOT / "configs/controls.yaml", "-n")
    assert alone.returncode == 0, alone.output[-3000:]
    assert "results/controls/w1/models/small" in alone.output
    assert "results/default/" not in alone.output

    # added to the finished default study in place (study=default), only what is new runs
    run = snakemake(ROOT, work, ROOT / "configs/controls.yaml", "-n", "--config", "study=default")
    assert run.returncode == 0, run.output[-3000:]
    old = set(default["recipes"]) | set(sweep_recipes(default))
    new = [r for r in [*controls["recipes"], *sweep_recipes(controls)] if r not in old]
    assert sorted(new) == [
        "filter_unknown",
        "gold",
        "grid_m0.25_aself",
        "grid_m0.25_ateacher",
        "grid_m0.50_aself_added",
        "grid_m0.50_ateacher_added",
        "grid_m0.75_aself",
        "grid_m0.75_ateacher",
        "large_words",
        "random_idk",
    ]
    checks = {
        expected("check_sweeps", w=w, student=s)
        for w in controls["seeds"]["world"]
        for s in controls["students"]
    }
    # large_words teaches the teacher's graded words: its teacher's knows table by the graded
    # answer (measured) is new; the study's own (truth) tables are all there
    knows = {
        expected("knows", w=w, definition="measured", model="large", split="pool")
        for w in controls["seeds"]["world"]
    }
    assert job_set(run.output) == recipe_jobs(controls, new) | checks | knows | FINAL


def test_added_recipes_plan_only_their_jobs_and_the_summary(tiny_study, tmp_path):
    repo, work, config, _ = tiny_study
    more = copy.deepcopy(config)
    more["recipes"]["gold"] = {"kind": "gold"}
    more["recipes"]["random_idk"] = {"kind": "random_idk", "teacher": "large"}
    run = snakemake(repo, work, write_config(tmp_path / "more.yaml", more), "-n")
    assert run.returncode == 0, run.output[-3000:]
    assert job_set(run.output) == recipe_jobs(more, ["gold", "random_idk"]) | FINAL


# ---------------------------------------------------------------- moved, cloned, edited


def test_a_finished_study_copied_elsewhere_plans_nothing(tiny_study, tmp_path):
    repo, _, _, configfile = tiny_study
    moved = tmp_path / "scratch" / "moved"
    shutil.copytree(repo, moved, symlinks=True)
    run = snakemake(moved, moved, moved / configfile.name, "-n")
    assert nothing_to_do(run), run.output[-3000:]


def test_a_fresh_clone_with_the_results_copied_in_plans_nothing(tiny_study, tmp_path):
    repo, _, _, configfile = tiny_study
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert not (clone / "results").exists()  # results are not in git: copied in, as by rsync
    for part in ("results", ".snakemake"):
        shutil.copytree(repo / part, clone / part, symlinks=True)
    assert git(clone, "status", "--porcelain", "--untracked-files=no") == ""
    run = snakemake(clone, clone, clone / configfile.name, "-n")
    assert nothing_to_do(run), run.output[-3000:]


def edited(path: Path, change):
    """Context: ``path`` changed by ``change(text)``, restored afterwards."""

    class Edit:
        def __enter__(self):
            self.original = path.read_text()
            path.write_text(change(self.original))

        def __exit__(self, *exc):
            path.write_text(self.original)

    return Edit()


def test_a_code_edit_to_labels_reruns_labelling_and_what_follows_only(tiny_study):
    repo, work, config, configfile = tiny_study
    labels = repo / "mismatch" / "training" / "labels.py"
    with edited(labels, lambda text: text + "\nLABEL_EDITED = True\n"):
        run = snakemake(repo, work, configfile, "-n")
    assert run.returncode == 0, run.output[-3000:]
    # the jobs that label, which reuse every fine-tuned adapter (keyed by what shapes
    # fine-tuning; tests/test_student_jobs.py)
    relabelled = recipe_jobs(config, config["recipes"], with_sets=False)
    assert job_set(run.output) == relabelled | FINAL


def test_comments_formatting_and_docstrings_rerun_nothing(tiny_study):
    repo, work, _, configfile = tiny_study
    labels = repo / "mismatch" / "training" / "labels.py"

    def cosmetic(text: str) -> str:
        text = text.replace('"""', '"""Edited docstring. ', 1)  # the module docstring
        text = text.replace("import os\n", "import os  # a comment\n\n", 1)
        return "# a new first line\n" + text.replace("    ", "    ", 1) + "\n\n# the end\n"

    with edited(labels, cosmetic):
        assert cosmetic(labels.read_text()) != labels.read_text()
        run = snakemake(repo, work, configfile, "-n")
    assert nothing_to_do(run), run.output[-3000:]


def test_nested_config_override_is_parsed_as_yaml(tiny_study):
    repo, work, config, configfile = tiny_study
    run = snakemake(repo, work, configfile, "-n", "--config", "finetune={lora: {r: 2}}")
    assert run.returncode == 0, run.output[-3000:]
    retrained = recipe_jobs(config, config["recipes"], with_sets=False)
    assert job_set(run.output) == retrained | FINAL
    bad = snakemake(repo, work, configfile, "-n", "--config", "finetune={lora: {r: two}}")
    assert bad.returncode != 0
    assert "invalid config: finetune.lora.r: expected integer, got str 'two'" in bad.output


# ---------------------------------------------------------------- the report


def test_report_opens_on_the_question_headline_and_figures(tiny_study, tmp_path):
    from test_workflow_run import CHROMIUM_FLAGS, rendered_dom

    repo, work, _, configfile = tiny_study
    report = tmp_path / "report.html"
    run = snakemake(repo, work, configfile, "--report", str(report))
    assert run.returncode == 0, run.output[-3000:]
    dom = rendered_dom(report, tmp_path / "profile")
    visible = re.sub(
        r"\s+",
        " ",
        re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", dom, flags=re.S)),
    )
    headline = (work / "results/test/summary/headline.rst").read_text()
    first_sentence = re.sub(r"\*", "", headline.splitlines()[0].split(", difference")[0])
    for text in (
        "The question.",
        "give more wrong answers on unseen questions",
        "Headline",
        re.sub(r"\s+", " ", first_sentence),
        "These worlds",
        "New worlds",
        "1. Outcomes",
        "3. Training",
        "4. Summary table",
    ):
        # compared without whitespace: removing the tags leaves spaces around inline markup
        assert re.sub(r"\s+", "", text) in re.sub(r"\s+", "", visible), (text, visible[:3000])
    # the landing page, as a person sees it
    screenshot = tmp_path / "landing.png"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    flags = [f for f in CHROMIUM_FLAGS if f != "--dump-dom"]
    subprocess.run(
        [
            chromium,
            *flags,
            f"--screenshot={screenshot}",
            "--window-size=1400,1000",
            f"--user-data-dir={tmp_path / 'profile-shot'}",
            report.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert (
        screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    )
