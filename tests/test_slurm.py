"""`snakemake --profile slurm`: plans without SLURM, and runs the tiny study on a real SLURM.

The SLURM tests start a throwaway single-node cluster (tests/slurm_cluster.py) and skip, saying
why, where that is impossible (not root, or the Debian packages munge, slurmctld, slurmd and
slurm-client missing). The cluster's node declares one GPU, so the run also submits one rule's
jobs with a GPU request (``--set-resources finetune_and_label:gpu=1``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from slurm_cluster import single_node_slurm, unavailable_reason
from workflow_runs import (
    ROOT,
    copy_workflow,
    load_config,
    planned_rules,
    snakemake,
    snakemake_command,
    write_config,
)

# at least these ask GPUs (the default answers per world and fine-tunes and labels per student:
# answering.job_per, finetune.job_per)
MODEL_RULES = {"answer_questions", "finetune_and_label"}
RUN_TIMEOUT = 600  # seconds; a status-query problem must fail the test, not hang CI

_JOB_BLOCK = re.compile(r"^(?:local)?rule (\w+):\n((?:    .*\n?)*)", re.M)


def snakemake_with_profile(
    repo: Path, *args: str, path: str, timeout: int
) -> subprocess.CompletedProcess:
    """``snakemake --profile slurm ARGS`` run from ``repo`` (where Snakemake finds the profile)."""
    command = [sys.executable, "-m", "snakemake", "--profile", "slurm", *args]
    return subprocess.run(
        command,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PATH": path},
    )


def job_resources(output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job a run or dry run lists."""
    jobs = []
    for rule, body in _JOB_BLOCK.findall(output):
        line = re.search(r"^    resources: (.*)$", body, re.M)
        jobs.append((rule, dict(kv.split("=", 1) for kv in line.group(1).split(", "))))
    return jobs


def labels_files(workdir: Path) -> list[Path]:
    files = workdir.glob("results/test/w*/labels/**/*.parquet")
    return sorted(path.relative_to(workdir) for path in files)


def submitted_rules(output: str) -> dict[str, list[str]]:
    """The sbatch calls of a ``--verbose`` SLURM run, by rule."""
    calls: dict[str, list[str]] = {}
    for call in re.findall(r"^sbatch call: (.*)$", output, re.M):
        rule = re.search(r"--comment '?rule_([a-z_]+?)(?:_wildcards_|'| )", call).group(1)
        calls.setdefault(rule, []).append(call)
    return calls


# ---------------------------------------------------------------- dry run, no SLURM needed
@pytest.fixture(scope="module")
def profile_dry_run(tmp_path_factory):
    """``snakemake --profile slurm -n`` of the default study on a PATH without any SLURM program."""
    base = tmp_path_factory.mktemp("profile_dry_run")
    bare_bin = base / "bin"
    bare_bin.mkdir()
    (bare_bin / "which").symlink_to(shutil.which("which"))
    path = os.pathsep.join([str(Path(sys.executable).parent), str(bare_bin)])
    assert shutil.which("sbatch", path=path) is None
    configfile = write_config(base / "config.yaml", load_config("config.yaml"))
    run = snakemake_with_profile(
        ROOT,
        "-n",
        "--directory",
        str(base / "work"),
        "--configfile",
        str(configfile),
        path=path,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    return output


def test_profile_dry_run_plans_the_default_study_without_slurm(profile_dry_run, tmp_path):
    assert re.search(r"Using profiles? slurm\b", profile_dry_run)
    configfile = write_config(tmp_path / "config.yaml", load_config("config.yaml"))
    plain = snakemake(ROOT, tmp_path / "work", configfile, "-n")
    assert plain.returncode == 0, plain.output[-5000:]
    assert planned_rules(profile_dry_run) == planned_rules(plain.output)
    assert {"finetune_and_label", "analyse"} <= set(planned_rules(plain.output))


def gpu_rules(output: str) -> set[str]:
    """Rules whose jobs declare a ``gpu`` resource (the model jobs)."""
    return {rule for rule, resources in job_resources(output) if "gpu" in resources}


def test_profile_dry_run_shows_each_jobs_gpu_request(profile_dry_run):
    gpu_jobs = [
        (rule, resources)
        for rule, resources in job_resources(profile_dry_run)
        if rule in gpu_rules(profile_dry_run)
    ]
    assert MODEL_RULES <= {rule for rule, _ in gpu_jobs}
    # the default study's tiny models run on CPUs: no job may ask for a GPU
    assert all(resources.get("gpu") == "0" for _, resources in gpu_jobs), gpu_jobs
    assert all(int(res["mem_mb"]) > 0 and int(res["runtime"]) > 0 for _, res in gpu_jobs)


def test_profile_dry_run_plans_the_papers_study_with_gpus(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    run = snakemake_with_profile(
        ROOT,
        "-n",
        "--directory",
        str(tmp_path / "work"),
        "--configfile",
        str(ROOT / "configs" / "paper.yaml"),
        path=os.environ["PATH"],
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    resources = job_resources(output)
    gpus = {rule: int(res["gpu"]) for rule, res in resources if "gpu" in res}
    # job sizes from the measured GPU runtimes: one answering job per model, one fine-tuning
    # and labelling job per recipe, SliCK in shards (tests/test_gpu_timing.py)
    assert set(gpus) == {"answer_questions", "finetune_and_label", "knowledge_categories"}
    assert all(n >= 1 for n in gpus.values()), gpus


# ---------------------------------------------------------------- a real SLURM
SHARD_SIZE = 10


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no single-node SLURM: {reason}")
    with single_node_slurm(tmp_path_factory.mktemp("slurm_state")) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory, slurm_cluster):
    """The tiny study, from a layered config, run locally and, meanwhile, through
    ``--profile slurm`` (whose Snakemake mostly waits for status checks): (local workdir, SLURM
    workdir, SLURM run's output)."""
    base = tmp_path_factory.mktemp("tiny_slurm")
    # A layered config: the jobs re-read it from the submitted command line, so a SLURM job
    # that missed the base would fail validation and one that missed the overlay would not shard.
    write_config(base / "configs" / "tiny.yaml", load_config("configs/tiny.yaml"))
    overlay = {
        "extends": "configs/tiny.yaml",
        "answering": {"job_per": "split", "questions_per_shard": SHARD_SIZE},
    }
    configfile = write_config(base / "tiny-sharded.yaml", overlay)
    repo = copy_workflow(base / "repo")

    local_log = base / "local.log"
    with local_log.open("w") as log:
        local = subprocess.Popen(
            snakemake_command(repo, base / "local", configfile),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        cluster = snakemake_with_profile(
            repo,
            "--directory",
            str(base / "cluster"),
            "--configfile",
            str(configfile),
            "--slurm-init-seconds-before-status-checks",
            "1",
            "--set-resources",
            "finetune_and_label:gpu=1",
            "--verbose",
            path=path,
            timeout=RUN_TIMEOUT,
        )
        local_returncode = local.wait(timeout=RUN_TIMEOUT)
    finally:
        if local.poll() is None:
            local.kill()
            local.wait()
    assert local_returncode == 0, local_log.read_text()[-5000:]
    output = cluster.stdout + cluster.stderr
    assert cluster.returncode == 0, output[-8000:]
    return base / "local", base / "cluster", output


@pytest.mark.slurm
@pytest.mark.slow
def test_slurm_run_labels_equal_the_local_runs(tiny_runs):
    local, cluster, _ = tiny_runs
    local_labels = labels_files(local)
    assert local_labels and labels_files(cluster) == local_labels
    for relative in local_labels:
        expected = pd.read_parquet(local / relative).sort_values("question_id", ignore_index=True)
        got = pd.read_parquet(cluster / relative).sort_values("question_id", ignore_index=True)
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.slurm
@pytest.mark.slow
def test_slurm_run_submits_model_jobs_only_and_gpus_where_asked(tiny_runs, slurm_cluster):
    _, _, output = tiny_runs
    calls = submitted_rules(output)
    # pretraining and the jobs that load a model go to SLURM; the cheap rules run locally
    assert set(calls) == gpu_rules(output) | {"pretrain_model"}
    assert {"answer_questions", "finetune_and_label"} <= set(calls)
    # gpu=1 (set for finetune_and_label) becomes --gpus=1; gpu=0 adds no GPU request at all
    assert all("--gpus=1" in call for call in calls["finetune_and_label"])
    # answering ran as shards of SHARD_SIZE questions (24 pool and 16 test questions per model)
    assert len(calls["answer_questions"]) == 2 * (-(-24 // SHARD_SIZE) + -(-16 // SHARD_SIZE))
    for rule in set(calls) - {"finetune_and_label"}:
        assert not any("--gpus" in call or "--gres" in call for call in calls[rule]), rule
    # every job runs the submitting interpreter (the venv) in the cluster's default partition
    for call in (call for rule_calls in calls.values() for call in rule_calls):
        assert f"-p {slurm_cluster.partition} " in call and f"{sys.executable} -m snakemake" in call
