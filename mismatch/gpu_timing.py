"""Measured GPU timings of the model stages (tools/measure_gpu_rates.py) against a plan's requests.

A measurement holds, per stage and model, the seconds a library call took and its units of work
(``mismatch.config.sizes.stage_units`` counts them the same way), the process's start-up and the
time to load the 7B checkpoint. From one measurement a planned job's runtime is

    start-up + per model: loading (the 7B's, scaled by size) + units x that run's seconds per unit

and its request (the dry run's ``runtime``, minutes) is compared with that, run by run.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

LOADED_MODEL = "llama2-7b"  # the model the measurement saves and loads from disk
_JOB = re.compile(r"^(?:local)?rule (\w+):\n(.*?)(?=^\[|^(?:local)?rule |\Z)", re.M | re.S)


@dataclass(frozen=True)
class Measurement:
    """One run of tools/measure_gpu_rates.py: seconds per unit by (stage, model), start-up,
    loading seconds per billion parameters, and each model's parameter count."""

    name: str
    gpu: str
    startup_s: float
    load_s_per_b: float
    params: dict[str, int]
    per_unit: dict[tuple[str, str], float]

    @classmethod
    def read(cls, path: str | Path) -> Measurement:
        """A measurement JSON; the loading time is taken off the stages that include it."""
        raw = json.loads(Path(path).read_text())
        if raw.get("complete") is False:  # files without the flag were written only at the end
            raise ValueError(f"{path}: an incomplete measurement (the run stopped early)")
        stages = raw["stages"]
        load = stages[f"load/{LOADED_MODEL}"]["seconds"]
        per_unit = {}
        for key, stage in stages.items():
            if not stage["units"]:
                continue
            name, model = key.split("/")
            work = stage["seconds"] - (load if stage.get("includes") == "loading" else 0.0)
            per_unit[(name, model)] = work / stage["units"]
        return cls(
            name=Path(path).stem,
            gpu=raw["gpu"],
            startup_s=raw["startup_s"],
            load_s_per_b=load / (raw["params"][LOADED_MODEL] / 1e9),
            params=raw["params"],
            per_unit=per_unit,
        )

    def job_seconds(self, models: Sequence[str], work: Mapping[str, float]) -> float:
        """Seconds one job takes on this run's machine: one start-up, then each model's loading
        and work (``KeyError`` for a stage and model the run did not time)."""
        seconds = self.startup_s
        for model in models:
            seconds += self.load_s_per_b * self.params[model] / 1e9
            for stage, units in work.items():
                seconds += units * self.per_unit[(stage, model)]
        return seconds


def fitted_rates(runs: Sequence[Measurement]) -> dict[str, dict[str, float]]:
    """Per stage, ``per_b`` (seconds per unit per billion parameters) and, where the smaller
    model is slower than that line predicts, its ``floor``: the mean over runs of each model's
    seconds per unit; the line goes through the largest model timed."""
    rates: dict[str, dict[str, float]] = {}
    stages = sorted({stage for run in runs for stage, _ in run.per_unit})
    for stage in stages:
        models = sorted(
            {m for run in runs for s, m in run.per_unit if s == stage},
            key=lambda m: runs[0].params[m],
        )
        mean = {m: statistics.fmean(run.per_unit[(stage, m)] for run in runs) for m in models}
        per_b = mean[models[-1]] / (runs[0].params[models[-1]] / 1e9)
        rate = {"per_b": round(per_b, 5)}
        smallest = models[0]
        if len(models) > 1 and mean[smallest] > per_b * runs[0].params[smallest] / 1e9:
            rate["floor"] = round(mean[smallest], 4)
        rates[stage] = rate
    return rates


def planned_jobs(dry_run: str) -> pd.DataFrame:
    """rule, wildcards (dict), runtime (minutes) and gpu of every GPU job a dry run lists."""
    rows = []
    for rule, body in _JOB.findall(dry_run):
        resources = re.search(r"^    resources: (.*)$", body, re.M)
        if resources is None:
            continue
        values = dict(kv.split("=", 1) for kv in resources.group(1).split(", "))
        if int(values.get("gpu", 0)) < 1:
            continue
        wildcards = re.search(r"^    wildcards: (.*)$", body, re.M)
        pairs = wildcards.group(1).split(", ") if wildcards else []
        rows.append(
            {
                "rule": rule,
                "wildcards": dict(kv.split("=", 1) for kv in pairs),
                "runtime": int(values["runtime"]),
                "gpu": int(values["gpu"]),
            }
        )
    return pd.DataFrame(rows, columns=["rule", "wildcards", "runtime", "gpu"])


def job_models_and_work(
    config: Mapping[str, Any], rule: str, wildcards: Mapping[str, str]
) -> tuple[list[str], dict[str, float]]:
    """The models a planned job loads and their work, as the rules size the job (``config``
    validated and sweep-expanded, as the workflow holds it)."""
    from mismatch.config.sizes import answer_job_work, shard_work, student_job_work

    if rule == "knowledge_categories":
        return [wildcards["model"]], shard_work(
            config, "categories", wildcards["model"], wildcards.get("split")
        )
    if rule == "answer_questions":
        return answer_job_work(config, wildcards)
    if rule == "finetune_and_label":
        return [wildcards["student"]], student_job_work(config, wildcards["student"])
    raise ValueError(f"no work known for rule {rule!r}")


def request_table(
    config: Mapping[str, Any],
    jobs: pd.DataFrame,
    runs: Sequence[Measurement],
) -> pd.DataFrame:
    """Per rule and model(s): its jobs, the largest request (minutes), the measured minutes (mean
    over runs, and the fastest and slowest run), the request over the mean (lowest and highest
    over the rule's jobs) and the request over the slowest run (lowest): below 1, a job as slow
    as the slowest run would be killed."""
    rows = []
    for job in jobs.itertuples():
        models, work = job_models_and_work(config, job.rule, job.wildcards)
        minutes = [run.job_seconds(models, work) / 60 for run in runs]
        mean = statistics.fmean(minutes)
        rows.append(
            {
                "rule": job.rule,
                "models": ", ".join(models),
                "requested_min": job.runtime,
                "measured_min": mean,
                "fastest_min": min(minutes),
                "slowest_min": max(minutes),
                "ratio": job.runtime / mean,
                "ratio_slowest": job.runtime / max(minutes),
            }
        )
    return (
        pd.DataFrame(rows)
        .groupby(["rule", "models"])  # sorted: a dry run lists jobs in no fixed order
        .agg(
            jobs=("requested_min", "size"),
            requested_min=("requested_min", "max"),
            measured_min=("measured_min", "max"),
            fastest_min=("fastest_min", "min"),
            slowest_min=("slowest_min", "max"),
            ratio_low=("ratio", "min"),
            ratio_high=("ratio", "max"),
            ratio_slowest=("ratio_slowest", "min"),
        )
        .reset_index()
    )


def request_markdown(table: pd.DataFrame, runs: Sequence[Measurement]) -> str:
    """The request table as Markdown, with the runs it compares against."""
    lines = [
        "| rule | model | jobs | requested (min) | measured (min): mean of "
        f"{len(runs)} runs (fastest-slowest) | requested / mean | requested / slowest |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        ratio = (
            f"{row.ratio_low:.1f}"
            if round(row.ratio_low, 1) == round(row.ratio_high, 1)
            else (f"{row.ratio_low:.1f}-{row.ratio_high:.1f}")
        )
        lines.append(
            f"| `{row.rule}` | {row.models} | {row.jobs} | {row.requested_min} | "
            f"{row.measured_min:.1f} ({row.fastest_min:.1f}-{row.slowest_min:.1f}) | {ratio} | "
            f"{row.ratio_slowest:.1f} |"
        )
    return "\n".join(lines)
