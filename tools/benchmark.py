"""Speed of the study on this machine: wall, CPU, processes, start-up, and ratios to a baseline.

Run from the repository root::

    .venv/bin/python tools/benchmark.py [--config FILE | --quick] [--baseline REV] [--json PATH]

It measures, in one run on the machine at hand,

- the study end to end in a fresh working directory: wall time, CPU time and peak memory of the
  whole process tree, and per rule from the Snakemake ``benchmark:`` files;
- the Python processes the study started (one per job) and each one's start-up: the CPU time
  from process start to the job's entry point, which every job records in its log
  (``mismatch.joblog``); their sum as a share of the study's CPU time;
- with ``--baseline REV``: the same study run by revision ``REV`` (a git worktree in a temporary
  folder), new/old ratios of wall time, CPU time and processes, and whether every labels file is
  identical to the baseline's;
- batched answering against one question at a time; prompt tokens prefilled per question;
- fine-tuning throughput in tokens per second, and as a share of this machine's float32 GEMM rate
  (the calibration that makes timings on different machines comparable);
- planning a grid of over 1,000 jobs (``configs/grid.yaml``) and a rerun with nothing to do;

prints a report and writes every number to a JSON file. Configs are loaded and checked the way
the workflow does (``rules/common.smk``). A developer tool, not part of the ``mismatch`` library
(its modules: ``tools/benchmarking/``); it needs ``psutil`` (requirements.txt).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the mismatch library, when run as tools/benchmark.py

from tools.benchmarking.common import GRID_CONFIG, TARGETS, lookup, stage_table, verdict  # noqa: E402
from tools.benchmarking.micro import (  # noqa: E402
    measure_answering,
    measure_finetuning,
    measure_gemm,
    measure_prefill,
    measure_startup,
    per_model_measurements,
    quiet_transformers,
)
from tools.benchmarking.publishing import publish, save  # noqa: E402
from tools.benchmarking.reports import (  # noqa: E402
    machine_info,
    per_model_report,
    report,
    study_report,
)
from tools.benchmarking.study import (  # noqa: E402
    compare_labels,
    load_study_config,
    measure_baseline,
    measure_planning,
    measure_rerun,
    measure_study,
    ratios,
    run_layout,
    study_numbers,
)


def main(
    argv: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> dict[str, Any]:
    from mismatch.configuration import teacher_of

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config",
        type=Path,
        default=ROOT / "config.yaml",
        help="the study's config (default: %(default)s)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="benchmark the tiny study (configs/tiny.yaml)"
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run the study of git revision REV (same config path) and print new/old ratios",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="a completed run of the same config to measure instead of a new one",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("benchmark-results.json"),
        help="where to write the results (default: %(default)s)",
    )
    parser.add_argument(
        "--study-only",
        action="store_true",
        help="measure the study (and the baseline) only: no rerun, planning or micro-benchmarks",
    )
    parser.add_argument(
        "--per-model",
        action="store_true",
        help="with --workdir (a finished real-model run): each stage's share of the job time, "
        "fine-tuning against labelling inside the student jobs, and every model's answering "
        "(questions/s) and fine-tuning (examples/s, share of the GEMM rate); no rerun",
    )
    parser.add_argument(
        "--publish",
        metavar="JSON",
        type=Path,
        help="run nothing: copy JSON (a --baseline run's results) to docs/results/benchmark.json "
        "and render the README's performance section and docs/performance.md's report from it",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run nothing: exit 1 unless the README and docs/performance.md show what "
        "docs/results/benchmark.json renders",
    )
    args = parser.parse_args(argv)
    if args.publish or args.check:
        raise SystemExit(publish(args.publish, args.check))
    configfile = (ROOT / "configs/tiny.yaml" if args.quick else args.config).resolve()
    if args.baseline and args.workdir:
        parser.error("--baseline runs both studies; it cannot be combined with --workdir")
    config = load_study_config(configfile)
    threads = config["threads"]
    results: dict[str, Any] = {
        "study_name": str(
            configfile.relative_to(ROOT) if configfile.is_relative_to(ROOT) else configfile
        ),
        "machine": machine_info(),
    }
    scratch = Path(tempfile.mkdtemp(prefix="mismatch-benchmark-"))
    if args.workdir:
        workdir = args.workdir.resolve()
        layout = run_layout(workdir, configfile)
        if not (layout.outputs / "summary" / "summary.md").is_file():
            parser.error(f"--workdir {workdir}: not a completed run (no summary.md)")
        results["study"] = study_numbers(layout, None)
    else:
        workdir = scratch / "work"
        progress(f"running the study in {workdir} ...")
        results["study"] = measure_study(workdir, configfile)
        layout = run_layout(workdir, configfile)
    results["workdir"] = str(workdir)
    results["stages"] = stage_table(layout.benchmarks).to_dict(orient="records")
    save(results, args.json)  # after each measurement, so a failure later loses nothing
    if args.baseline:
        progress(f"running the study of {args.baseline} in {scratch / 'baseline-work'} ...")
        results["baseline"] = measure_baseline(args.baseline, configfile, scratch)
        results["ratios"] = ratios(results["study"], results["baseline"])
        baseline = scratch / "baseline-work"
        results["labels"] = compare_labels(layout.outputs, run_layout(baseline, configfile).outputs)
        save(results, args.json)
    if args.per_model:
        results.update(per_model_measurements(layout, config, threads, progress))
        save(results, args.json)
        print(per_model_report(results))
        progress(f"results written to {args.json}")
        return results
    if args.study_only:
        print("\n".join(study_report(results)).strip())
        progress(f"results written to {args.json}; runs kept under {scratch}")
        return results
    progress("timing a rerun and planning ...")
    results["rerun"] = measure_rerun(workdir, configfile)
    results["planning"] = measure_planning(GRID_CONFIG, scratch / "planning")
    save(results, args.json)
    progress("timing job start-up, answering, fine-tuning and GEMM ...")
    quiet_transformers()
    results["startup"] = measure_startup()
    student = config["students"][0]
    recipe = next(r for r in config["recipes"] if teacher_of(config, r, student) != student)
    teacher = teacher_of(config, recipe, student)
    results["answering"] = measure_answering(layout.outputs, config, teacher, threads)
    results["prefill"] = measure_prefill(layout.outputs, config, teacher, threads)
    save(results, args.json)
    results["finetuning"] = measure_finetuning(layout.outputs, config, student, recipe, 30, threads)
    tune = results["finetuning"]
    model_shape = (int(tune["mean_batch_tokens"]), tune["hidden_size"], tune["hidden_size"])
    results["gemm"] = measure_gemm([(1024, 1024, 1024), (512, 512, 512), model_shape], threads)
    results["machine"]["load_average_after"] = os.getloadavg()[0]
    results["targets"] = [
        {
            "name": t.name,
            "value": lookup(results, t.key),
            "limit": t.limit,
            "unit": t.unit,
            "verdict": verdict(t, lookup(results, t.key)),
        }
        for t in TARGETS
    ]
    save(results, args.json)
    print(report(results))
    progress(f"results written to {args.json}; runs kept under {scratch}")
    return results


if __name__ == "__main__":
    main()
