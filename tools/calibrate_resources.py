"""Measure a finished study's seconds per unit of work and compare them with what its jobs asked.

    .venv/bin/python tools/calibrate_resources.py results/paper --configfile configs/paper.yaml

Reads the per-job benchmark files of the one-stage model rules (answer_questions,
finetune_student, label_student, knowledge_categories), divides each job's wall time (start-up
and loading taken off) by its units of work and its model's billions of parameters, and prints
the median per stage and device as a `resources: {rates: ...}` block to put in the config, with
each rule's requested/measured time ratio under the rates the run used.
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

RULES = {  # rule -> (stage, the wildcard position of the model in benchmarks/w*/<rule>/...)
    "answer_questions": "answer",
    "finetune_student": "finetune",
    "label_student": "label",
    "knowledge_categories": "categories",
}


def jobs(study: Path, config: dict) -> pd.DataFrame:
    """One row per benchmarked job of the one-stage model rules."""
    rows = []
    vocab = config["questions"]["synthetic"]["vocab_size"]
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
                spec = config["models"][model]
                params = estimated_params(spec, vocab)
                requested = model_job_resources(config, {stage: units}, [model], 1)["runtime"]
                rows.append(
                    {
                        "rule": rule,
                        "stage": stage,
                        "device": device_class(params, spec.get("gpus")),
                        "model": model,
                        "seconds": seconds,
                        "requested_min": requested,
                        "ratio": requested * 60 / seconds,
                        "rate": measured_rate(seconds, units, params, spec["dtype"]),
                    }
                )
    return pd.DataFrame(rows)


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
    table = jobs(args.study, config)
    if table.empty:
        print(f"{args.study}: no benchmark of a one-stage model rule ({', '.join(RULES)})")
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
