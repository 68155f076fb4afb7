"""The benchmark's printed reports, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.publishing.speed_text import format_rows, per_model_report  # noqa: F401 (re-exported)
from tools.benchmarking.common import CORES, FLOPS_FORMULA, ROOT, TARGETS, lookup, verdict


def report(results: dict[str, Any]) -> str:
    """The human-readable summary of ``results``."""
    machine, out = results["machine"], []
    out.append(
        f"mismatch benchmark: {results['study_name']}, {machine['cpus']} CPUs "
        f"({machine['processor']}), torch {machine['torch']}, snakemake --cores {CORES}"
    )
    out.append(f"workdir: {results['workdir']}")
    out.append(
        f"load average (1 min) before / after: {machine['load_average_before']:.1f} / "
        f"{machine['load_average_after']:.1f}\n"
    )
    stages = pd.DataFrame(results["stages"])
    rows = [
        [
            r.rule,
            r.jobs,
            f"{r.wall_s:.1f}",
            f"{r.cpu_s:.1f}",
            f"{r.max_rss_mib:.0f}",
            f"{100 * r.share:.0f}%",
        ]
        for r in stages.itertuples()
    ]
    rows.append(
        [
            "all jobs",
            int(stages.jobs.sum()),
            f"{stages.wall_s.sum():.1f}",
            f"{stages.cpu_s.sum():.1f}",
            f"{stages.max_rss_mib.max():.0f}",
            "100%",
        ]
    )
    study = results.get("study")
    if study:
        rows.append(
            [
                "end to end (snakemake)",
                "",
                f"{study['wall_s']:.1f}",
                f"{study['cpu_s']:.1f}",
                f"{study['peak_tree_rss_mib']:.0f} (tree)",
                "",
            ]
        )
    out.append("Per stage (job wall and CPU summed over jobs; RSS: largest job):")
    out.append(format_rows(["rule", "jobs", "wall s", "cpu s", "max RSS MiB", "share"], rows))
    out.extend(study_report(results))
    startup = results["startup"]
    out.append(
        f"\nImport calibration (wall, best of 2): Python {startup['python_s']:.2f} s, "
        f"+ model stack imports {startup['model_stack_s']:.2f} s."
    )
    answering = results["answering"]
    out.append(
        f"\nAnswering {answering['questions']} test questions with {answering['model']} "
        f"({answering['threads']} thread): batch 64 {answering['batched_s']:.2f} s, "
        f"one at a time {answering['one_at_a_time_s']:.2f} s -> {answering['speedup']:.1f}x "
        f"(same predictions: {100 * answering['same_predictions']:.0f}%)"
    )
    prefill = results.get("prefill")
    if prefill:
        k, slick = prefill["k_shot"], prefill["slick"]
        out.append(
            f"\nPrompt tokens prefilled per question ({prefill['model']}, "
            f"{prefill['questions']} pool and test questions), plain -> shared-prefix cache: "
            f"k-shot answering {k['plain_per_question']:.1f} -> {k['cached_per_question']:.1f}; "
            f"SliCK ({slick['settings']['n_exemplar_sets']} exemplar sets x (greedy + "
            f"{slick['settings']['n_samples']} samples)) {slick['plain_per_question']:.0f} -> "
            f"{slick['cached_per_question']:.0f}. Greedy answers with the cache: "
            + (
                "identical"
                if prefill["greedy_identical"]
                else f"{prefill['differing_answers']} differ"
            )
            + f" ({prefill['plain_s']:.2f} s plain, {prefill['cached_s']:.2f} s cached)"
        )
    tune = results["finetuning"]
    gemm = results["gemm"]
    out.append(
        f"\nFine-tuning {tune['recipe']}: {tune['steps']} steps of {tune['batch_size']} "
        f"in {tune['seconds']:.2f} s ({tune['threads']} thread): "
        f"{tune['target_tokens_per_s']:.0f} target tokens/s, "
        f"{tune['real_tokens_per_s']:.0f} tokens/s, "
        f"{tune['processed_tokens_per_s']:.0f} tokens/s incl. padding"
    )
    out.append(f"  {tune.get('flops_formula', FLOPS_FORMULA)}; N = {tune['matmul_params']:,}")
    out.append(f"  -> {tune['model_flops_per_s'] / 1e9:.2f} GFLOP/s model FLOPs")
    for rate in gemm:
        shape = "x".join(map(str, rate["shape"]))
        share = tune["model_flops_per_s"] / rate["flops_per_s"]
        out.append(
            f"  float32 GEMM {shape}: {rate['flops_per_s'] / 1e9:.2f} GFLOP/s; "
            f"fine-tuning reaches {100 * share:.1f}% of it"
        )
    planning, rerun = results["planning"], results["rerun"]
    out.append(
        f"\nPlanning {planning['config']} ({planning['jobs']} jobs): {planning['wall_s']:.2f} s"
    )
    if rerun["nothing_to_do"]:
        out.append(f"Rerun with nothing changed: {rerun['wall_s']:.2f} s (nothing to be done)")
    else:
        out.append(
            f"Rerun was not a no-change rerun: it did work for {rerun['did_work_s']:.0f} s "
            f"({rerun['reason']})"
        )
    rows = []
    for target in TARGETS:
        value = lookup(results, target.key)
        digits = 3 if target.unit == "x" else 1
        shown = "-" if value is None else f"{value:.{digits}f} {target.unit}"
        limit = f"{'>=' if target.higher_is_better else '<'} {target.limit:g} {target.unit}"
        if target.aim is not None:
            limit += f" (aim {target.aim:g})"
        rows.append([target.name, shown, limit, verdict(target, value)])
    out.append(f"\nTargets on a 2-core CPU ({results['study_name']}):")
    out.append(format_rows(["target", "measured", "limit", "verdict"], rows))
    return "\n".join(out)


def study_report(results: dict[str, Any]) -> list[str]:
    """Processes, start-up share and, with a baseline, the new/old ratios."""
    study, baseline = results.get("study"), results.get("baseline")
    if not study:
        return []

    def cell(run: dict[str, Any], key: str, fmt: str) -> str:
        value = run.get(key)
        return "-" if value is None else format(value, fmt)

    runs = [("this revision", study)] + (
        [(f"baseline {baseline['rev']}", baseline)] if baseline else []
    )
    rows = [
        [
            name,
            cell(run, "wall_s", ".1f"),
            cell(run, "cpu_s", ".1f"),
            cell(run, "python_processes", "d"),
            cell(run, "startup_cpu_s", ".1f"),
            cell(run, "startup_cpu_per_process_s", ".2f"),
            "-" if run.get("startup_share") is None else f"{100 * run['startup_share']:.1f}%",
        ]
        for name, run in runs
    ]
    out = [
        "\nThe study (start-up = CPU from process start to the job's entry point, from the "
        "job logs; '-' where a revision's jobs do not record it):",
        format_rows(
            [
                "run",
                "wall s",
                "cpu s",
                "processes",
                "start-up cpu s",
                "per process s",
                "start-up share",
            ],
            rows,
        ),
    ]
    if baseline:
        ratio = results["ratios"]
        out.append("new/old: " + ", ".join(f"{k} {v:.3f}" for k, v in ratio.items()))
        labels = results["labels"]
        verdict_ = (
            "identical"
            if labels["identical"]
            else f"DIFFERENT ({len(labels['differ'])} files differ, "
            f"{labels['missing_in_baseline']} missing in the baseline)"
        )
        out.append(f"labels: {labels['files']} files, {verdict_} to the baseline's")
    return out


def machine_info() -> dict[str, Any]:
    """CPU count and model, versions, and the load average (other work slows every number)."""
    import torch

    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    names = re.findall(r"^model name\s*: (.*)$", text, re.M)
    return {
        "cpus": os.cpu_count(),
        "processor": names[0] if names else platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_average_before": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d"),
        "revision": git_revision(),
    }


def git_revision() -> str | None:
    """The commit this tree is at (``+dirty`` if tracked files differ from it)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"], check=False
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")
