"""Publishing a benchmark: docs/results/benchmark.json and the performance blocks of the README
and docs/performance.md rendered from it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tools.benchmarking.common import ROOT
from tools.benchmarking.reports import report


def performance_block(results: dict[str, Any]) -> str:
    """The README's performance section, rendered from a benchmark's results (a baseline run)."""
    machine, study, base = results["machine"], results["study"], results["baseline"]
    ratio, labels, prefill = results["ratios"], results["labels"], results["prefill"]
    when = f" on {machine['date']}" if machine.get("date") else ""
    gemm = next(g for g in results["gemm"] if g["shape"] == [1024, 1024, 1024])
    worlds = sum(s["jobs"] for s in results["stages"] if s["rule"] == "synthetic_world")
    share = "{:.1f}%".format
    rows = [
        ["wall time, s", f"{study['wall_s']:.0f}", f"{base['wall_s']:.0f}", ratio["wall_s"]],
        ["CPU time, s", f"{study['cpu_s']:.0f}", f"{base['cpu_s']:.0f}", ratio["cpu_s"]],
        [
            "Python processes started",
            str(study["python_processes"]),
            str(base["python_processes"]),
            ratio["python_processes"],
        ],
    ]
    lines = [
        f"Measured by `tools/benchmark.py --baseline {base['rev']}`{when}, both studies in one "
        f"run on {machine['cpus']} CPUs ({machine['processor']}), torch {machine['torch']}; "
        f"1-minute load average {machine['load_average_before']:.1f} before, "
        f"{machine['load_average_after']:.1f} after. Seconds differ 1.5-2x between machines "
        f"(this one: float32 GEMM 1024^3 at {gemm['flops_per_s'] / 1e9:.0f} GFLOP/s); the "
        "ratios are the result.",
        "",
        f"| {results['study_name']}, {worlds} worlds "
        f"| {machine.get('revision') or 'this revision'} "
        f"| {base['rev']} (before the speed work) | new/old |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {new} | {old} | {r:.3f}x |" for name, new, old, r in rows),
        "",
        f"- Start-up (process start to the job's entry point, getrusage CPU, summed over "
        f"{study['python_processes']} processes): {study['startup_cpu_s']:.0f} s, "
        f"**{share(100 * study['startup_share'])}** of the study's CPU time.",
        f"- Labels: {labels['files']} files, "
        + (
            "identical to the baseline's."
            if labels["identical"]
            else "DIFFERENT from the baseline's."
        ),
        f"- Prompt tokens prefilled per question with `answering.prefix_cache`: k-shot answering "
        f"{prefill['k_shot']['plain_per_question']:.1f} -> "
        f"{prefill['k_shot']['cached_per_question']:.1f}, SliCK "
        f"{prefill['slick']['plain_per_question']:.0f} -> "
        f"{prefill['slick']['cached_per_question']:.0f}; greedy answers "
        + ("identical." if prefill["greedy_identical"] else "NOT identical."),
        f"- Batched answering (batch 64) is {results['answering']['speedup']:.1f}x one question "
        "at a time.",
    ]
    return "\n".join(lines)


PUBLISHED = ROOT / "docs" / "results" / "benchmark.json"


README = ROOT / "README.md"


PERFORMANCE = ROOT / "docs" / "performance.md"


BLOCKS = {
    README: ("<!-- performance:start -->", "<!-- performance:end -->"),
    PERFORMANCE: ("<!-- benchmark:start -->", "<!-- benchmark:end -->"),
}


def published_blocks(results: dict[str, Any]) -> dict[Path, str]:
    """What goes between each file's markers: the README's section, the full report."""
    return {README: performance_block(results), PERFORMANCE: f"```\n{report(results)}\n```"}


def with_block(text: str, markers: tuple[str, str], block: str, where: Path) -> str:
    start, end = markers
    if start not in text or end not in text:
        raise SystemExit(f"{where}: no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{block}\n{end}{rest.split(end, 1)[1]}"


def publish(source: Path | None, check: bool) -> int:
    """Copy a benchmark's JSON to docs/results/ and render the README's and performance.md's
    blocks from it; with ``check``, only report whether they are current (exit status 1 if not)."""
    if source is not None:
        PUBLISHED.write_text(source.read_text())
    results = json.loads(PUBLISHED.read_text())
    stale = []
    for path, block in published_blocks(results).items():
        text = path.read_text()
        new = with_block(text, BLOCKS[path], block, path)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new)
    if check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(
            f"{names}: not what {PUBLISHED.relative_to(ROOT)} renders; run "
            "tools/benchmark.py --publish",
            file=sys.stderr,
        )
        return 1
    return 0


def save(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
