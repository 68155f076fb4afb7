"""End to end: the tiny config through the real workflow, then reruns, edits and failures."""

import copy
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from workflow_runs import (
    ROOT,
    planned_rules,
    snakemake,
    write_config,
)

from mismatch.analysis.tables import robustness_rules

pytestmark = pytest.mark.slow

LABEL_COLUMNS = {"question_id", "prediction", "label", "student_knows", "recipe", "ft_seed"}


def test_tiny_study_writes_labels_summary_and_figures(tiny_study):
    _, work, config, _ = tiny_study
    labels = pd.read_parquet(work / "results/test/w1/labels/small/large/ft2.parquet")
    assert LABEL_COLUMNS <= set(labels.columns)
    assert set(labels.label) <= {"correct", "wrong", "abstain", "malformed"}
    test = pd.read_parquet(work / "results/test/w1/questions/test.parquet")
    assert sorted(labels.question_id) == sorted(test.question_id)
    summary = (work / "results/test/summary/summary.md").read_text()
    for recipe in config["recipes"]:
        assert recipe in summary
    assert "Primary contrast" in summary and "Robustness" in summary
    contrasts = pd.read_csv(work / "results/test/summary/contrasts.csv")
    assert list(contrasts["role"]).count("primary") == 1
    assert contrasts["n_persons"].gt(0).all()
    robustness = pd.read_csv(work / "results/test/summary/robustness.csv")
    assert set(robustness["rule"]) == set(robustness_rules())  # 8 rules, malformed-as-wrong too
    for table in ("per_world", "wrong_by_knowledge", "losses", "summary"):
        assert len(pd.read_csv(work / f"results/test/summary/{table}.csv")) > 0
    for figure in ("outcomes", "wrong_by_knowledge", "loss_curves", "forest"):
        assert (work / "results/test/figures" / f"{figure}.png").stat().st_size > 5000


def test_the_tables_recompute_from_the_gathered_inputs_and_a_changed_one_is_named(
    tiny_study, tmp_path
):
    """The analyse rule's inputs (summary/inputs/ and knowledge.csv) are all a table needs:
    tools/recompute_tables.py reproduces every table to the byte, and names one that differs."""
    sys.path.insert(0, str(ROOT / "tools"))
    import recompute_tables

    _, work, _, configfile = tiny_study
    copy = tmp_path / "summary"
    shutil.copytree(work / "results/test/summary", copy)
    assert recompute_tables.main([str(copy), "--config", str(configfile)]) == 0
    contrasts = copy / "contrasts.csv"
    contrasts.write_text(contrasts.read_text().replace("primary", "primery", 1))
    assert recompute_tables.main([str(copy), "--config", str(configfile)]) == 1


def test_editing_prose_reruns_only_the_rendering(tiny_study):
    """The code digest of a rule covers what its script imports: a changed sentence in
    mismatch/report/rendering.py reruns render_summary alone, not the analysis or the labels."""
    repo, work, _, configfile = tiny_study
    rendering = repo / "mismatch" / "report" / "rendering.py"
    original = rendering.read_text()
    rendering.write_text(original.replace('"## Per world"', '"## Per world (edited)"', 1))
    try:
        run = snakemake(repo, work, configfile, "-n")
    finally:
        rendering.write_text(original)
    assert run.returncode == 0, run.output[-3000:]
    assert planned_rules(run.output) == {"render_summary": 1, "all": 1}


def test_rerun_with_nothing_changed_runs_nothing(tiny_study):
    repo, work, _, configfile = tiny_study
    run = snakemake(repo, work, configfile, "-n")
    assert run.nothing_to_do, run.output


def test_changed_lora_rank_reruns_only_that_students_training_and_after(tiny_study, tmp_path):
    repo, work, config, _ = tiny_study
    changed = copy.deepcopy(config)
    changed["models"]["small"]["finetune"] = {"lora": {"r": 2}}
    run = snakemake(repo, work, write_config(tmp_path / "r2.yaml", changed), "-n")
    assert run.returncode == 0, run.output
    # that student's one finetune_and_label job (finetune.job_per: student)
    assert planned_rules(run.output) == {
        "finetune_and_label": 1,
        "gather_labels": 1,
        "analyse": 1,
        "render_summary": 1,
        "plot_figures": 1,
        "all": 1,
    }


def test_changed_library_module_reruns_the_stage_using_it(tiny_study):
    repo, work, config, configfile = tiny_study
    module = repo / "mismatch" / "training" / "labels.py"
    original = module.read_text()
    module.write_text(original + "\nEDITED = True\n")  # code, not a comment: see test_operations
    try:
        run = snakemake(repo, work, configfile, "-n")
    finally:
        module.write_text(original)
    assert run.returncode == 0, run.output
    assert planned_rules(run.output) == {
        "finetune_and_label": 1,
        "gather_labels": 1,
        "analyse": 1,
        "render_summary": 1,
        "plot_figures": 1,
        "all": 1,
    }


def test_weak_teacher_stops_the_run_before_fine_tuning(tiny_study, tmp_path):
    repo, work, config, _ = tiny_study
    weak_work = tmp_path / "work"
    shutil.copytree(work, weak_work, symlinks=True)
    strict = copy.deepcopy(config)
    strict["preconditions"] = {"allow_weak_teacher": False, "min_teacher_margin": 1.0}
    run = snakemake(repo, weak_work, write_config(tmp_path / "strict.yaml", strict))
    assert run.returncode != 0
    log = (weak_work / "results/test/logs/w1/check_preconditions/small.log").read_text()
    assert "large" in log and "preconditions.min_teacher_margin" in log
    assert not (weak_work / "results/test/w1/checks/small.json").exists()


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
    "--dump-dom",
]


def rendered_dom(page, profile):
    """The DOM of a local page after headless Chromium ran its scripts."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "headless Chromium is not installed (Debian package 'chromium'; .ci/run installs it)"
        )
    done = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_html_report_renders_every_figure_in_a_browser(tiny_study, tmp_path):
    repo, work, _, configfile = tiny_study
    run = snakemake(repo, work, configfile, "--report", str(tmp_path / "report.html"))
    assert run.returncode == 0, run.output[-3000:]
    html = (tmp_path / "report.html").read_text()
    figures = dict(
        re.findall(r'"data_uri": "(data:image/png;[^"]*?filename=([\w.]+);base64,[^"]+)"', html)
    )
    figures = {name: uri for uri, name in figures.items()}
    assert set(figures) == {
        "outcomes.png",
        "wrong_by_knowledge.png",
        "loss_curves.png",
        "forest.png",
    }
    # the report's own page renders its navigation (categories of results) in the browser
    dom = rendered_dom(tmp_path / "report.html", tmp_path / "profile-report")
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", dom, flags=re.S))
    for category in ("Outcomes", "Training", "Summary"):
        assert category in visible
    # every embedded figure decodes as an image in the same browser
    images = "".join(f'<img id="{name}" src="{uri}">' for name, uri in figures.items())
    probe = tmp_path / "figures.html"
    probe.write_text(
        f"<html><body>{images}<script>window.onload = () => document.body.setAttribute("
        "'data-sizes', [...document.images].map(i => i.id + ':' + i.naturalWidth).join(' '));"
        "</script></body></html>"
    )
    sizes = re.search(r'data-sizes="([^"]*)"', rendered_dom(probe, tmp_path / "profile-probe"))
    assert sizes, "the probe page did not finish loading"
    widths = dict(item.split(":") for item in sizes.group(1).split())
    assert set(widths) == set(figures) and all(int(w) > 100 for w in widths.values()), widths
