"""The benchmark's targets and pure helpers: benchmark files, planned jobs, FLOPs, verdicts."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


CORES = 2


GRID_CONFIG = ROOT / "configs" / "grid.yaml"


NOTHING_TO_DO = "Nothing to be done"


FLOPS_FORMULA = (
    "model FLOPs = 6 x N x tokens processed (padding included), N = weights of every matrix "
    "multiply in the forward pass (all linear layers incl. LoRA and the LM head; embedding "
    "lookups and attention scores left out), except the LM head, which runs only at target "
    "positions (its weights x target tokens); 6N is the full-training convention and overstates "
    "LoRA, whose frozen weights get no weight gradients (about 4N)"
)


@dataclass(frozen=True)
class Target:
    """A limit a measurement must meet on a 2-core CPU."""

    name: str
    key: str  # where the measurement is in the results, "section.field"
    limit: float
    unit: str
    higher_is_better: bool = False
    aim: float | None = None


TARGETS = (
    Target("study end to end", "study.wall_s", 600, "s", aim=300),
    Target("batched answering speed-up", "answering.speedup", 10, "x", higher_is_better=True),
    Target("plan the 1,000-job grid", "planning.wall_s", 10, "s"),
    Target("rerun with nothing changed", "rerun.wall_s", 5, "s"),
    Target("peak memory (process tree)", "study.peak_tree_rss_mib", 3072, "MiB"),
    Target("start-up share of the study's CPU", "study.startup_share_pct", 15, "%"),
    Target("study wall time / baseline's", "ratios.wall_s", 0.65, "x", aim=0.5),
)


def read_benchmark_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """One Snakemake benchmark TSV (a row per repeat); ``NA`` (job too short to sample) is NaN."""
    table = pd.read_csv(path, sep="\t", na_values=["NA"])
    missing = [c for c in ("s", "max_rss", "cpu_time") if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: not a Snakemake benchmark file (no {', '.join(missing)})")
    return table


def rule_of(relative: str | os.PathLike[str]) -> str:
    """The rule a benchmark file belongs to, from its path under ``benchmarks/``.

    ``w1/answer_questions/large/pool.0.tsv`` -> ``answer_questions``; ``w1/synthetic_world.tsv``
    -> ``synthetic_world``; ``summarize.tsv`` -> ``summarize``.
    """
    parts = list(Path(relative).parts)
    if len(parts) > 1 and re.fullmatch(r"w\d+", parts[0]):
        parts = parts[1:]
    return parts[0].removesuffix(".tsv")


def stage_table(benchmark_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Per rule: jobs, summed job wall and CPU seconds, largest job RSS (MiB), share of job time.

    Sorted by job wall time, largest first. CPU time and RSS are sampled by Snakemake, so jobs
    shorter than its sampling interval add none (NaN counts as 0, a rule with no samples is NaN).
    """
    rows = []
    for path in sorted(Path(benchmark_dir).rglob("*.tsv")):
        table = read_benchmark_file(path)
        rows.append(
            {
                "rule": rule_of(path.relative_to(benchmark_dir)),
                "wall_s": float(table["s"].sum()),
                "cpu_s": float(table["cpu_time"].sum()),
                "max_rss_mib": float(table["max_rss"].max()),
            }
        )
    if not rows:
        raise ValueError(f"{benchmark_dir}: no Snakemake benchmark files")
    jobs = pd.DataFrame(rows)
    table = jobs.groupby("rule").agg(
        jobs=("wall_s", "size"),
        wall_s=("wall_s", "sum"),
        cpu_s=("cpu_s", "sum"),
        max_rss_mib=("max_rss_mib", "max"),
    )
    table["share"] = table["wall_s"] / table["wall_s"].sum()
    return table.sort_values("wall_s", ascending=False).reset_index()


def planned_job_count(output: str) -> int:
    """Total jobs in the 'Job stats' table Snakemake prints when planning (0 if none)."""
    found = re.search(r"^total\s+(\d+)\s*$", output, re.M)
    return int(found.group(1)) if found else 0


def gemm_flop_rate(m: int, k: int, n: int, repeats: int, seconds: float) -> float:
    """FLOP/s of ``repeats`` products of an (m x k) and a (k x n) matrix done in ``seconds``."""
    return 2.0 * m * k * n * repeats / seconds


def training_flops(
    matmul_params: int, tokens: int, head_params: int = 0, head_tokens: int = 0
) -> float:
    """Rough training FLOPs: 6 per matrix-multiply weight per token (see ``FLOPS_FORMULA``);
    the language-model head's ``head_params`` (part of ``matmul_params``) count only for the
    ``head_tokens`` it runs at (the target positions:
    ``mismatch.training.finetune.target_token_loss``)."""
    return 6.0 * ((matmul_params - head_params) * tokens + head_params * head_tokens)


def token_counts(
    examples: Sequence[dict[str, Sequence[int]]], order: Sequence[int], batch_size: int
) -> dict[str, int]:
    """Tokens a training run over ``order`` (example indices, in batches) sees.

    ``target``: tokens with a loss (labels other than -100); ``real``: tokens of the examples;
    ``processed``: batch x longest example per batch, i.e. what the model computes incl. padding.
    """
    target = real = processed = 0
    for start in range(0, len(order), batch_size):
        batch = [examples[i] for i in order[start : start + batch_size]]
        lengths = [len(e["input_ids"]) for e in batch]
        real += sum(lengths)
        processed += len(batch) * max(lengths)
        target += sum(sum(1 for label in e["labels"] if label != -100) for e in batch)
    return {"target": target, "real": real, "processed": processed}


def lookup(results: dict[str, Any], key: str) -> Any:
    """``results["a"]["b"]`` for key ``"a.b"``; ``None`` where a part is missing."""
    value: Any = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def verdict(target: Target, value: float | None) -> str:
    """PASS, or MISS with how far off (factor and difference), or 'not measured'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not measured"
    if (value >= target.limit) if target.higher_is_better else (value < target.limit):
        return "PASS"
    if target.higher_is_better:
        return f"MISS: {target.limit / value:.1f}x short" if value > 0 else "MISS"
    return f"MISS: {value / target.limit:.2f}x the limit, {value - target.limit:+.1f} {target.unit}"
