"""End to end: the tiny config through the real workflow, then reruns, edits and failures."""

import copy
import shutil

import pandas as pd
import pytest
from workflow_runs import (
    copy_workflow,
    load_config,
    planned_jobs,
    planned_rules,
    snakemake,
    write_config,
)

pytestmark = pytest.mark.slow

LABEL_COLUMNS = {"question_id", "prediction", "label", "student_knows", "recipe", "ft_seed"}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    """The tiny study, run once to completion on a private copy of the workflow."""
    base = tmp_path_factory.mktemp("tiny")
    repo = copy_workflow(base / "repo")
    work = base / "work"
    config = load_config("configs/tiny.yaml")
    configfile = write_config(base / "tiny.yaml", config)
    run = snakemake(repo, work, configfile)
    assert run.returncode == 0, run.output[-5000:]
    return repo, work, config, configfile


def test_tiny_study_writes_labels_summary_and_figures(tiny_study):
    _, work, config, _ = tiny_study
    labels = pd.read_parquet(work / "results/w1/labels/small/large/ft2.parquet")
    assert LABEL_COLUMNS <= set(labels.columns)
    assert set(labels.label) <= {"correct", "wrong", "abstain"}
    test = pd.read_parquet(work / "results/w1/questions/test.parquet")
    assert sorted(labels.question_id) == sorted(test.question_id)
    summary = (work / "results/summary/summary.md").read_text()
    for recipe in config["recipes"]:
        assert recipe in summary
    for figure in ("outcomes", "wrong_by_knowledge", "loss_curves"):
        assert (work / "figures" / f"{figure}.png").stat().st_size > 5000


def test_rerun_with_nothing_changed_runs_nothing(tiny_study):
    repo, work, _, configfile = tiny_study
    run = snakemake(repo, work, configfile, "-n")
    assert run.returncode == 0, run.output
    assert planned_jobs(run.output) == [], run.output


def test_changed_lora_rank_reruns_only_that_students_training_and_after(tiny_study, tmp_path):
    repo, work, config, _ = tiny_study
    changed = copy.deepcopy(config)
    changed["models"]["small"]["finetune"] = {"lora": {"r": 2}}
    run = snakemake(repo, work, write_config(tmp_path / "r2.yaml", changed), "-n")
    assert run.returncode == 0, run.output
    n_students = len(config["recipes"]) * len(config["seeds"]["finetune"])
    assert planned_rules(run.output) == {
        "finetune_student": n_students,
        "label_student": n_students,
        "summarize": 1,
        "plot_figures": 1,
        "all": 1,
    }


def test_changed_library_module_reruns_the_stage_using_it(tiny_study):
    repo, work, config, configfile = tiny_study
    (repo / "mismatch" / "labels.py").touch()
    try:
        run = snakemake(repo, work, configfile, "-n")
    finally:
        shutil.copystat(repo / "mismatch" / "grading.py", repo / "mismatch" / "labels.py")
    assert run.returncode == 0, run.output
    n_students = len(config["recipes"]) * len(config["seeds"]["finetune"])
    assert planned_rules(run.output) == {
        "label_student": n_students,
        "summarize": 1,
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
    log = (weak_work / "logs/w1/check_preconditions/small.log").read_text()
    assert "large" in log and "preconditions.min_teacher_margin" in log
    assert not (weak_work / "results/w1/checks/small.json").exists()
