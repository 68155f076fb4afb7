"""Planning: what `snakemake -n` schedules for the whole study, one target, and edits."""

import pytest
from workflow_runs import ROOT, load_config, planned_jobs, planned_rules, snakemake, write_config


@pytest.fixture
def default_config(tmp_path):
    return write_config(tmp_path / "config.yaml", load_config("config.yaml"))


def test_dry_run_plans_the_whole_default_study(tmp_path, default_config):
    run = snakemake(ROOT, tmp_path / "work", default_config, "-n")
    assert run.returncode == 0, run.output
    config = load_config("config.yaml")
    worlds, seeds = len(config["seeds"]["world"]), len(config["seeds"]["finetune"])
    recipes, models = len(config["recipes"]), len(config["models"])
    counts = planned_rules(run.output)
    assert counts["pretrain_model"] == worlds * models
    assert counts["answer_questions"] == worlds * models * 2  # pool and test
    assert counts["finetune_student"] == worlds * recipes * seeds
    assert counts["label_student"] == worlds * recipes * seeds
    assert counts["summarize"] == counts["plot_figures"] == 1


def test_one_labels_file_builds_only_its_ancestors(tmp_path, default_config):
    target = "results/w1/labels/small/own/ft1.parquet"
    run = snakemake(ROOT, tmp_path / "work", default_config, "-n", target)
    assert run.returncode == 0, run.output
    jobs = planned_jobs(run.output)
    assert {w.get("w") for _, w in jobs} == {"1"}
    assert [w for r, w in jobs if r == "finetune_student"] == [
        {"w": "1", "student": "small", "recipe": "own", "seed": "1"}
    ]
    assert [w["recipe"] for r, w in jobs if r == "finetuning_set"] == ["own"]
    rules = planned_rules(run.output)
    assert "summarize" not in rules and "plot_figures" not in rules
    # the own recipe still waits for the precondition check, which needs the teacher's answers
    assert rules["pretrain_model"] == 2 and rules["check_preconditions"] == 1
