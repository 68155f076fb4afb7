"""The README's run command: the whole embedded default study, end to end (CI runs it)."""

import os
import time

import pandas as pd
import pytest
from workflow_runs import ROOT, load_config, snakemake, write_config

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("MISMATCH_RUN_DEFAULT_STUDY") != "1",
        reason="the whole default study takes minutes: set MISMATCH_RUN_DEFAULT_STUDY=1 (CI does)",
    ),
]


def test_default_study_runs_and_reports_its_findings(tmp_path):
    config = load_config("config.yaml")
    configfile = write_config(tmp_path / "config.yaml", config)
    work = tmp_path / "work"
    start = time.monotonic()
    run = snakemake(ROOT, work, configfile, timeout=2700)
    minutes = (time.monotonic() - start) / 60
    print(f"default study: {minutes:.1f} min on {os.cpu_count()} cores")
    assert run.returncode == 0, run.output[-5000:]
    worlds, seeds = config["seeds"]["world"], config["seeds"]["finetune"]
    assert len(worlds) >= 4 and len(seeds) >= 3
    labels = pd.read_parquet(work / "results/test/summary/labels.parquet")
    assert set(labels.world_seed) == set(worlds)
    assert set(labels.label) <= {"correct", "wrong", "abstain", "malformed"}
    assert (
        (labels.label != "malformed")
        .eq(labels.well_formed | labels.label.isin(["correct", "abstain"]))
        .all()
    )
    # the summary reports per-world estimates for every world and each sweep level vs level 0,
    # split by what the student knows
    per_world = pd.read_csv(work / "results/test/summary/per_world.csv")
    primary = per_world[(per_world.role == "primary") & (per_world.kind == "world")]
    assert sorted(primary.world.astype(int)) == sorted(worlds)
    levels = pd.read_csv(work / "results/test/summary/sweep_levels.csv")
    assert {
        "wrong rate, facts the student knows",
        "wrong rate, facts the student does not know",
        "correct rate, facts the student knows",
        "abstain rate, facts the student does not know",
    } <= set(levels.outcome)
    # the grid: each abstention row's mismatch levels against mismatch 0, and the abstention
    # levels (the teacher's and the student's own share) against each other at mismatch 0
    assert set(levels.sweep) == {
        "grid: mismatch, abstention teacher",
        "grid: mismatch, abstention self",
        "grid: abstention, mismatch 0.00",
    }
    across = levels[levels.sweep == "grid: abstention, mismatch 0.00"].iloc[0]
    assert across.level > across.reference_level  # the student's own share exceeds the teacher's
    summary_table = pd.read_csv(work / "results/test/summary/summary.csv")
    assert {"correct_rate", "wrong_rate", "abstain_rate", "malformed_rate"} <= set(
        summary_table.columns
    )
    assert set(labels.loc[labels.recipe != "base", "ft_seed"]) == set(seeds)
    summary = (work / "results/test/summary/summary.md").read_text()
    for section in ("Dose-response", "Preconditions", "What each model knows", "McNemar"):
        assert section in summary
    for sweep in config["sweeps"]:
        assert (work / "results/test/figures" / f"dose_response_{sweep}.png").stat().st_size > 5000
    # the preconditions held: the teacher measurably knows more than the student in every world
    checks = [p.read_text() for p in (work / "results/test").glob("w*/checks/small.json")]
    assert len(checks) == len(worlds) and all('"passed": true' in c for c in checks)
    again = snakemake(ROOT, work, configfile, "-n")
    assert again.nothing_to_do, again.output[-3000:]
