"""How long a study will take: its jobs' expected seconds from the calibrated rates, and the wall
time on a given number of cores.

Model jobs take ``mismatch.resources``' calibrated seconds per unit of work (answering,
fine-tuning, labelling; GPU figures from docs/results/gpu-timing) plus one start-up; pretraining
takes ``PRETRAIN_S_PER_TOKEN_PARAM`` per token x parameter; every other job (splitting questions,
building sets, knows tables, checks, the summary) its measured median ``SMALL_JOB_S``. The wall
time on ``cores`` one-thread jobs is the larger of the total over the cores and the longest chain
of one world's jobs followed by the summary. It estimates the whole study, done or not (a dry
run's job list says what is left).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mismatch.config.layers import load_layered
from mismatch.config.schema import validated
from mismatch.config.settings import estimated_params
from mismatch.config.sizes import answering_work, student_job_work
from mismatch.config.sweeps import expand_sweeps
from mismatch.errors import InputError
from mismatch.questions.sources import pretrained_world
from mismatch.resources import work_seconds
from mismatch.study_state import MARKER, read_marker

# Seconds per pretraining token x parameter on this project's 2-core CPU: the default study's
# 8 pretrain_model jobs at 080ff92 on a quiet machine (results/default/benchmarks/w*/
# pretrain_model, wall seconds less the start-up, 2 jobs side by side), the median over jobs.
PRETRAIN_S_PER_TOKEN_PARAM = 2.0e-10
# The median wall seconds of the default study's jobs that load no model (same run, 76 jobs).
SMALL_JOB_S = 1.3
# Python and torch start-up of a job on this machine (the grouped jobs' measured floor).
LOCAL_STARTUP_S = 15.0
# The jobs every world runs in a chain before its students' fine-tuning, besides model jobs.
_CHAIN_SMALL_JOBS = 4  # questions/world, knows, fine-tuning set, checks
_SUMMARY_JOBS = 4  # gather_labels, analyse, render_summary, plot_figures


@dataclass(frozen=True)
class Job:
    """One planned job: its rule, its world (None for the study's summary) and its seconds."""

    rule: str
    world: int | None
    seconds: float


def pretrain_seconds(spec: Mapping[str, Any], vocab: int) -> float:
    """Expected seconds of one pretrain_model job (tokens x parameters x the measured rate)."""
    p = spec["pretrain"]
    tokens = p["steps"] * p["batch_size"] * p["max_length"]
    return LOCAL_STARTUP_S + tokens * estimated_params(spec, vocab) * PRETRAIN_S_PER_TOKEN_PARAM


def model_seconds(config: Mapping[str, Any], work: Mapping[str, float], model: str) -> float:
    """Expected seconds of ``model`` doing ``work`` (stage -> units) by the calibrated rates."""
    spec = config["models"][model]
    vocab = config["questions"]["synthetic"]["vocab_size"]
    params = estimated_params(spec, vocab)
    rates = config["resources"]["rates"]
    return sum(
        work_seconds(stage, params, units, spec["dtype"], spec.get("gpus"), rates)
        for stage, units in work.items()
    )


def study_jobs(config: Mapping[str, Any]) -> list[Job]:
    """The study's jobs with their expected seconds (the default target, from the config)."""
    models, students = list(config["models"]), list(config["students"])
    vocab = config["questions"]["synthetic"]["vocab_size"]
    synthetic = pretrained_world(config) is not None  # tiny models pretrained here
    per_student = {"student": 1, "recipe": len(config["recipes"])}.get(
        config["finetune"]["job_per"], len(config["recipes"]) * len(config["seeds"]["finetune"])
    )
    jobs: list[Job] = []
    for w in config["seeds"]["world"]:
        jobs.append(Job("questions", w, SMALL_JOB_S))
        for model in models:
            if synthetic:
                jobs.append(
                    Job("pretrain_model", w, pretrain_seconds(config["models"][model], vocab))
                )
                jobs += [
                    Job("true_knowledge", w, SMALL_JOB_S),
                    Job("knowledge_report", w, SMALL_JOB_S),
                ]
            jobs += [Job("knows", w, SMALL_JOB_S)] * 2
        answers = [model_seconds(config, answering_work(config), m) for m in models]
        if config["answering"]["job_per"] == "world":  # one process answers with every model
            answers = [sum(answers)]
        jobs += [Job("answer_questions", w, LOCAL_STARTUP_S + s) for s in answers]
        for student in students:
            jobs += [Job("finetuning_set", w, SMALL_JOB_S)] * len(config["recipes"])
            jobs += [Job("checks", w, SMALL_JOB_S)] * 2
            one = LOCAL_STARTUP_S + model_seconds(
                config, student_job_work(config, student), student
            )
            jobs += [Job("finetune_and_label", w, one)] * per_student
    jobs += [Job("summary", None, SMALL_JOB_S * 2)] * _SUMMARY_JOBS
    return jobs


def wall_seconds(jobs: Sequence[Job], cores: int) -> float:
    """Wall time on ``cores`` one-thread jobs: the total over the cores, or the longest chain
    (one world's pretraining, answering, small jobs and a student's fine-tuning, then the
    summary), whichever is longer."""
    total = sum(job.seconds for job in jobs) / max(cores, 1)
    chains = []
    for w in {job.world for job in jobs if job.world is not None}:
        mine = [job for job in jobs if job.world == w]

        def longest(rule: str, mine: list[Job] = mine) -> float:
            return max((job.seconds for job in mine if job.rule == rule), default=0.0)

        chains.append(
            longest("pretrain_model")
            + longest("answer_questions")
            + longest("finetune_and_label")
            + _CHAIN_SMALL_JOBS * SMALL_JOB_S
        )
    summary = sum(job.seconds for job in jobs if job.world is None)
    return max(total, max(chains, default=0.0) + summary)


def describe(
    config: Mapping[str, Any],
    cores: int,
    local_rules: Sequence[str],
    load: float | None = None,
) -> str:
    """The lines a dry run prints: the estimated wall time on ``cores`` and which rules run on
    the submit host; with the machine's 1-minute ``load`` average above ``cores``, a warning that
    other work shares the CPUs (the rates were measured with the study's jobs alone)."""
    jobs = study_jobs(config)
    minutes = wall_seconds(jobs, cores) / 60
    by_rule: dict[str, float] = {}
    for job in jobs:
        by_rule[job.rule] = by_rule.get(job.rule, 0.0) + job.seconds
    heaviest = sorted(by_rule.items(), key=lambda kv: -kv[1])[:3]
    parts = ", ".join(f"{rule} {seconds / 60:.0f} min" for rule, seconds in heaviest)
    return (
        f"Plan: the whole study takes about {minutes:.0f} min of wall time on {cores} core(s) "
        f"({len(jobs)} jobs; most time in {parts}; from the calibrated rates, "
        "mismatch/plan_estimate.py). Run on the submit host, never on SLURM (localrules): "
        f"{', '.join(local_rules)}. Per job's request: the `resources:` lines below; progress "
        "of a running job: its log, results/<study>/logs/."
    ) + (
        f" The machine's load average is {load:.1f} on {cores} core(s): other work shares the "
        "CPUs, so the run takes longer than this."
        if load is not None and load > cores
        else ""
    )


def dry_run_cores(argv: Sequence[str]) -> int | None:
    """The cores of a dry run's command line (``-n`` and ``--cores``/``-c``/``--jobs``/``-j``),
    or None where it is not a dry run (then nothing is printed)."""
    dry = any(
        a in ("--dry-run", "--dryrun") or re.fullmatch(r"-[A-Za-z]*n[A-Za-z]*", a) for a in argv
    )
    if not dry:
        return None
    for i, arg in enumerate(argv):
        for flag in ("--cores", "-c", "--jobs", "-j"):
            if arg == flag and i + 1 < len(argv) and argv[i + 1].isdigit():
                return int(argv[i + 1])
            if arg.startswith(flag + "=") and arg.split("=", 1)[1].isdigit():
                return int(arg.split("=", 1)[1])
    return 2


def progress_line(
    config: Mapping[str, Any], finished_jobs: int, elapsed_s: float, cores: int = 2
) -> str:
    """A running study's progress: finished jobs (benchmark files) out of the plan's, time since
    it started and the estimated time left (the plan's estimate less the elapsed time, or, once
    past it, the elapsed time per finished job times the jobs left)."""
    jobs = study_jobs(config)
    total = wall_seconds(jobs, cores)
    left_jobs = max(len(jobs) - finished_jobs, 0)
    left = total - elapsed_s
    if left <= 0 or left_jobs == 0:
        left = elapsed_s / max(finished_jobs, 1) * left_jobs / max(cores, 1)
    return (
        f"{finished_jobs} of about {len(jobs)} jobs finished, {elapsed_s / 60:.0f} min since it "
        f"started; about {left / 60:.0f} min left on {cores} core(s) (the plan estimated "
        f"{total / 60:.0f} min in all)"
    )


def pretrain_runtime(config: Mapping[str, Any], model: str, attempt: int = 1) -> int:
    """Minutes a pretrain_model job asks for: the calibrated expected time (``pretrain_seconds``,
    without the local start-up: ``runtime_minutes`` adds a cluster node's) times the config's
    margin, grown on a retry, at least one minute (a tiny model pretrains in about two; the
    config's ``min_runtime`` is for the jobs that load a model)."""
    from mismatch.resources import runtime_minutes

    vocab = config["questions"]["synthetic"]["vocab_size"]
    work = pretrain_seconds(config["models"][model], vocab) - LOCAL_STARTUP_S
    return runtime_minutes(work, attempt, config["resources"]["margin"], 1)


def study_progress(folder: str | Path, cores: int = 2) -> str:
    """One line on a study's progress from its marker (the run's config and start) and its
    benchmark files (one per finished job); a one-line error without a marker."""
    folder = Path(folder)
    marker = read_marker(folder)
    if marker is None or "started" not in marker or "config" not in marker:
        raise InputError(str(folder), f"no run recorded ({MARKER}): has this study started?")
    config = validated(load_layered(marker["config"]))
    expand_sweeps(config)
    started = datetime.strptime(marker["started"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    end = datetime.now(UTC)
    if marker.get("state") != "running":
        end = datetime.strptime(marker["updated"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    finished = len(list((folder / "benchmarks").rglob("*.tsv")))
    line = progress_line(config, finished, (end - started).total_seconds(), cores)
    return f"{folder.name} ({marker.get('state')}): {line}"
