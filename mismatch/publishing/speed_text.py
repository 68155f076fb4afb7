"""Benchmark figures as plain text: the tables that tools/benchmark.py prints and the published
real-model page shows (one formatter for both)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def format_rows(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned."""
    cells = [list(map(str, headers)), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def per_model_report(results: dict[str, Any]) -> str:
    """The real-model benchmark as text: stage shares, phases, per-model speeds."""
    stages = pd.DataFrame(results["stages"])
    lines = [f"Study {results['study_name']}: job time per rule (summed over jobs)"]
    lines.append(
        format_rows(
            ["rule", "jobs", "wall s", "share"],
            [
                [r.rule, r.jobs, f"{r.wall_s:.0f}", f"{100 * r.share:.1f}%"]
                for r in stages.itertuples()
            ],
        )
    )
    phases = results["phases"]
    if phases["jobs_s"]:
        lines.append(
            f"Student jobs: fine-tuning {phases['fine_tuning_s']:.0f} s "
            f"({100 * phases['fine_tuning_s'] / phases['jobs_s']:.1f}%), loading and labelling "
            f"{phases['other_s']:.0f} s"
        )
    gemm = results["gemm"][0]["flops_per_s"]
    lines.append(f"float32 GEMM 1024^3: {gemm / 1e9:.1f} GFLOP/s")
    for model, numbers in results["models"].items():
        answering = numbers["answering"]
        lines.append(
            f"{model}: answering {answering['batched_questions_per_s']:.1f} questions/s batched, "
            f"{answering['questions'] / answering['one_at_a_time_s']:.1f} one at a time "
            f"({answering['questions']} test questions, k-shot)"
        )
        tune = numbers.get("finetuning")
        if tune:
            lines.append(
                f"{model}: fine-tuning {tune['examples_per_s']:.1f} examples/s, "
                f"{tune['model_flops_per_s'] / 1e9:.1f} GFLOP/s = "
                f"{100 * tune['model_flops_per_s'] / gemm:.1f}% of the GEMM rate"
            )
    return "\n".join(lines)
