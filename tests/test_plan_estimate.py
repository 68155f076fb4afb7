"""A dry run's plan: the whole study's estimated wall time from the calibrated rates, against the
measured runs, and which jobs stay on the submit host."""

from __future__ import annotations

import json

import pytest
from workflow_runs import ROOT, load_config

from mismatch import configuration as cfg
from mismatch.plan_estimate import Job, describe, dry_run_cores, study_jobs, wall_seconds


def _config(name: str) -> dict:
    config = cfg.validated(load_config(name))
    cfg.expand_sweeps(config)
    return config


def test_the_real_model_estimate_is_within_1_5x_of_the_published_run():
    run = json.loads((ROOT / "docs/results/real-small/run.json").read_text())
    estimate = wall_seconds(study_jobs(_config(run["config"])), 2)
    assert run["wall_s"] / 1.5 <= estimate <= run["wall_s"] * 1.5, (estimate, run["wall_s"])


def test_wall_time_is_the_longer_of_the_load_and_the_longest_chain():
    jobs = [Job("pretrain_model", 1, 100.0), Job("pretrain_model", 2, 100.0)]
    assert wall_seconds(jobs, 1) == 200.0  # the load over one core
    chain = wall_seconds(jobs, 8)
    assert 100.0 < chain < 200.0  # one world's chain (with its small jobs) on many cores
    more = study_jobs(_config("config.yaml"))
    assert wall_seconds(more, 1) > wall_seconds(more, 2) > wall_seconds(more, 64) > 0


@pytest.mark.parametrize(
    ("argv", "cores"),
    [
        (["snakemake", "-n"], 2),
        (["snakemake", "--dry-run", "--cores", "4"], 4),
        (["snakemake", "-np", "-j", "8"], 8),
        (["snakemake", "--cores", "2"], None),
        (["snakemake", "--configfile", "configs/x.yaml", "--cores=3", "-n"], 3),
    ],
)
def test_only_a_dry_run_prints_the_plan(argv, cores):
    assert dry_run_cores(argv) == cores


def test_the_plan_line_names_cores_time_and_local_rules():
    text = describe(_config("configs/real-small.yaml"), 2, ["all", "knows"])
    assert "min of wall time on 2 core(s)" in text and "localrules): all, knows" in text
    assert "finetune_and_label" in text and "results/<study>/logs/" in text


def test_pretraining_asks_for_its_calibrated_time_not_a_fixed_half_hour():
    from mismatch.plan_estimate import LOCAL_STARTUP_S, pretrain_runtime, pretrain_seconds

    config = _config("config.yaml")
    vocab = config["questions"]["synthetic"]["vocab_size"]
    for model in config["models"]:
        expected = pretrain_seconds(config["models"][model], vocab) - LOCAL_STARTUP_S
        minutes = pretrain_runtime(config, model)
        assert expected <= minutes * 60 <= 3 * (expected + 60), (model, minutes, expected)
        assert pretrain_runtime(config, model, attempt=2) > minutes  # a retry asks for more
    # the larger model pretrains longer (more steps x tokens x parameters) and asks for more
    assert pretrain_runtime(config, "large") > pretrain_runtime(config, "small")


def test_a_loaded_machine_is_said_to_slow_the_plan():
    config = _config("configs/real-small.yaml")
    assert "load average" not in describe(config, 2, ["all"], load=1.0)
    assert "load average is 9.0 on 2 core(s)" in describe(config, 2, ["all"], load=9.0)
