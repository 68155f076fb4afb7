"""Measure a finished study's seconds per unit of work and compare them with what its jobs asked.

    .venv/bin/python tools/calibrate_resources.py results/paper --configfile configs/paper.yaml

Reads the per-job benchmark files of the model rules: one-unit jobs (answer_questions per shard,
knowledge_categories) and jobs of a model's units (answer_questions with one model per job: it
answers every split; finetune_and_label: fine-tuning and labelling of its units, one or many, the
two split by the job's log), divides each stage's wall time (start-up and loading taken off) by
its units of work and its model's billions of parameters, and prints the median per stage and
device as a `resources: {rates: ...}` block to put in the config, with each rule's
requested/measured time ratio under the rates the run used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.configuration import (  # noqa: E402
    estimated_params,
    layered_config,
    model_job_resources,
    stage_units,
    validated,
)
from mismatch.resources import device_class, measured_rate  # noqa: E402

RULES = {  # rule -> stage of its one-unit jobs, benchmarks/w*/<rule>/<model>/<split>.<shard>.tsv
    "answer_questions": "answer",
    "knowledge_categories": "categories",
}


def jobs(study: Path, config: dict) -> pd.DataFrame:
    """One row per benchmarked one-unit job (a shard of one split)."""
    rows = []
    for rule, stage in RULES.items():
        for path in sorted(study.glob(f"benchmarks/w*/{rule}/*/*")):
            model = path.relative_to(study / "benchmarks").parts[2]
            files = [path] if path.is_file() else sorted(path.rglob("*.tsv"))
            for file in files:
                seconds = float(pd.read_csv(file, sep="\t")["s"].iloc[-1])
                questions = None
                if stage in ("answer", "categories"):
                    split = file.name.split(".")[0]
                    questions = len(pd.read_parquet(file_answers(study, file, split)))
                units = stage_units(config, stage, model, questions)
                rows += _stage_rows(config, rule, model, seconds, {stage: (units, seconds)})
    return pd.DataFrame(rows)


def grouped_jobs(study: Path, config: dict) -> pd.DataFrame:
    """One row per stage of each benchmarked job of a model's units (answer_questions with one
    model per job, finetune_and_label), with the requested/measured ratio of the whole job."""
    from mismatch.joblog import fine_tuning_seconds

    rows = []
    for file in sorted(study.glob("benchmarks/w*/answer_questions/*.tsv")):
        model = file.stem
        if model not in config["models"]:
            continue  # one job per world: several models share the job's time
        world = study / file.relative_to(study / "benchmarks").parts[0]
        # every split the job answered (pool, test, and heldout in the exposure world)
        answers = sorted((world / "answers" / model).glob("*.parquet"))
        answered = sum(len(pd.read_parquet(path)) for path in answers)
        seconds = _job_seconds(file)
        rows += _stage_rows(
            config, "answer_questions", model, seconds, {"answer": (answered, seconds)}
        )
    for file in sorted(study.glob("benchmarks/w*/finetune_and_label/**/*.tsv")):
        parts = file.relative_to(study / "benchmarks").parts
        # finetune.job_per: student (w/rule/student.tsv), recipe (.../recipe.tsv), seed (ft1.tsv)
        student = parts[2] if len(parts) > 3 else file.stem
        seeds = len(config["seeds"]["finetune"])
        units = {3: seeds * len(config["recipes"]), 4: seeds, 5: 1}[len(parts)]
        log = study / "logs" / Path(*parts).with_suffix(".log")
        tuning, _ = fine_tuning_seconds(log.read_text(errors="replace"))
        seconds = _job_seconds(file)
        stages = {
            stage: (units * stage_units(config, stage, student), part)
            for stage, part in (("finetune", tuning), ("label", seconds - tuning))
        }
        rows += _stage_rows(config, "finetune_and_label", student, seconds, stages)
    return pd.DataFrame(rows)


def _job_seconds(benchmark: Path) -> float:
    return float(pd.read_csv(benchmark, sep="\t")["s"].iloc[-1])


def _stage_rows(
    config: dict, rule: str, model: str, seconds: float, stages: dict[str, tuple[float, float]]
) -> list[dict]:
    """Rows of one grouped job: per stage (units, seconds), the stage's measured rate; the
    start-up and loading are taken off the last stage (they are in its part of the job)."""
    spec = config["models"][model]
    params = estimated_params(spec, config["questions"]["synthetic"]["vocab_size"])
    work = {stage: units for stage, (units, _) in stages.items()}
    requested = model_job_resources(config, work, [model], 1)["runtime"]
    last = list(stages)[-1]
    rows = []
    for stage, (units, stage_s) in stages.items():
        rate = (
            measured_rate(stage_s, units, params, spec["dtype"])
            if stage == last
            else stage_s / max(units, 1) / (params / 1e9)
        )
        rows.append(
            {
                "rule": rule,
                "stage": stage,
                "device": device_class(params, spec.get("gpus")),
                "model": model,
                "seconds": seconds,
                "requested_min": requested,
                "ratio": requested * 60 / seconds,
                "rate": rate,
            }
        )
    return rows


def file_answers(study: Path, benchmark: Path, split: str) -> Path:
    """The shard output whose benchmark this is (its questions count the units)."""
    relative = benchmark.relative_to(study / "benchmarks")
    world, rule, model = relative.parts[:3]
    folder = "answers" if rule == "answer_questions" else "categories"
    shard = benchmark.name.split(".")[1]
    return study / world / folder / model / f"{split}.shards" / f"{shard}.parquet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a finished study's folder (results/<study>)")
    parser.add_argument("--configfile", required=True, type=Path, help="the config it ran")
    args = parser.parse_args(argv)
    config = validated(layered_config([args.configfile]))
    table = pd.concat([jobs(args.study, config), grouped_jobs(args.study, config)])
    if table.empty:
        print(f"{args.study}: no benchmark of a model rule ({', '.join(RULES)}, grouped ones)")
        return 1
    summary = table.groupby(["rule", "device"]).agg(
        jobs=("seconds", "size"),
        median_s=("seconds", "median"),
        requested_min=("requested_min", "median"),
        ratio_min=("ratio", "min"),
        ratio_max=("ratio", "max"),
    )
    print(summary.to_string(float_format=lambda v: f"{v:.2f}"))
    rates: dict[str, dict[str, float]] = {}
    for (stage, device), group in table.groupby(["stage", "device"]):
        rates.setdefault(device, {})[stage] = float(f"{statistics.median(group['rate']):.4g}")
    print("\n# measured rates: put this block in the config")
    print(yaml.safe_dump({"resources": {"rates": rates}}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
