"""Per-job memory, time and GPU requests: seconds per unit of work, scaled by the model's size and
the job's work, times a stated margin.

    expected seconds = start-up + per model: loading + units x max(rate x billions of params, floor)
    requested runtime = max(min_runtime, margin x expected), in minutes (one process: one
    start-up, however many models or stages it runs)
    a retry (attempt n) asks for RETRY_GROWTH ** (n - 1) times as much, at most MAX_RETRY_FACTOR

A unit is what a stage does many times: a question answered (``answer``, ``label``), a
fine-tuning example processed (``finetune``: steps x batch size x gradient accumulation), one
generation of SliCK's (``categories``: questions x exemplar sets x (1 + samples)). ``RATES``
says where each rate comes from; ``resources.rates`` in the config replaces them with a study's
own measurements (``tools/calibrate_resources.py`` computes them from a finished study's
benchmark files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

TINY_PARAMS = 50e6  # below this a model runs on the CPU of the job's node by default
GPU_MEMORY_GB = 80.0  # one A100/H100 card
BYTES_PER_PARAM = {"float32": 4, "bfloat16": 2, "float16": 2, "auto": 2}
STAGES = ("answer", "finetune", "label", "categories")

MARGIN = 2.0  # requested time over expected time
MIN_RUNTIME = 10  # minutes: below this a cluster's scheduling overhead dominates anyway
RETRY_GROWTH = 1.5  # each retry asks for this much more time ...
MAX_RETRY_FACTOR = 2.0  # ... but never more than this times the first request
STARTUP_S = 60.0  # Python, imports and the job's own start-up on a cluster node
LOAD_S_PER_GB = 1.0  # reading weights from a shared filesystem at about 1 GB/s


@dataclass(frozen=True)
class Rate:
    """Seconds per unit of a stage: ``per_b`` per billion parameters, never below ``floor``."""

    per_b: float
    floor: float
    source: str


_CPU_REAL = (
    "measured by tools/calibrate_resources.py on the published real-model run "
    "(docs/results/real-small: SmolLM2-135M and Gemma-3-270M, 2-core x86 CPU, one thread per "
    "job, two jobs side by side): the median over its jobs; the pilot's rates of issue 21 were "
    "4-7x too fast for these jobs"
)
_CPU_TINY = "floors measured on the default study's tiny models (results/default/benchmarks)"
_CPU_TINY_FINETUNE = (
    "floor: the default study at 080ff92 on a quiet 2-core machine (finetune_and_label, median "
    "230 s per job of 24 units: 57,600 examples and 2,880 labelled questions, less 15 s start-up)"
)
_GPU_MEASURED = (
    "measured by tools/measure_gpu_rates.py on one NVIDIA H200 (docs/results/gpu-timing: the "
    "mean of three runs; Llama-2 7B and 13B shapes with random bfloat16 weights, the real Llama-2 "
    "tokenizer, configs/paper.yaml's settings); random weights decode to max_new_tokens, so the "
    "generation rates are upper bounds; an A100 is slower: calibrate after a first run"
)
_GPU_FLOOR = "floor: a guess for small models on a GPU, not measured"
RATES: dict[str, dict[str, Rate]] = {
    "cpu": {
        "answer": Rate(0.5957, 0.008, f"{_CPU_REAL}; {_CPU_TINY}"),
        "finetune": Rate(1.647, 0.0036, f"{_CPU_REAL}; {_CPU_TINY_FINETUNE}"),
        "label": Rate(0.7186, 0.002, f"{_CPU_REAL}; {_CPU_TINY}"),
        "categories": Rate(0.5957, 0.008, f"as answer, per generation; {_CPU_TINY}"),
    },
    "gpu": {  # tests/test_gpu_timing.py checks these against the measurement files
        "answer": Rate(0.00266, 0.0241, f"{_GPU_MEASURED}; floor: the 7B's, measured"),
        "finetune": Rate(0.00378, 0.0005, f"{_GPU_MEASURED}; {_GPU_FLOOR}"),
        "label": Rate(0.00236, 0.0005, f"{_GPU_MEASURED}; {_GPU_FLOOR}"),
        "categories": Rate(0.00261, 0.0005, f"{_GPU_MEASURED}; {_GPU_FLOOR}"),
    },
}


def device_class(params: float, gpus: int | None) -> str:
    """``gpu`` or ``cpu``: the model's declared GPUs, else by its size."""
    if gpus is not None:
        return "gpu" if gpus > 0 else "cpu"
    return "cpu" if params < TINY_PARAMS else "gpu"


def rate_of(stage: str, device: str, overrides: Mapping[str, Mapping[str, float]] | None) -> Rate:
    """The rate of ``stage`` on ``device``: the config's measured one where given."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    built_in = RATES[device][stage]
    measured = (overrides or {}).get(device, {}).get(stage)
    if measured is None:
        return built_in
    return Rate(float(measured), built_in.floor, "the config's resources.rates (measured)")


def work_seconds(
    stage: str,
    params: float,
    units: float,
    dtype: str = "auto",
    gpus: int | None = None,
    rates: Mapping[str, Mapping[str, float]] | None = None,
) -> float:
    """Seconds one model spends on ``units`` of ``stage``: loading its weights, then the work."""
    rate = rate_of(stage, device_class(params, gpus), rates)
    weights_gb = params * BYTES_PER_PARAM.get(dtype, 2) / 1e9
    return LOAD_S_PER_GB * weights_gb + units * max(rate.per_b * params / 1e9, rate.floor)


def retry_factor(attempt: int) -> float:
    """How much more time attempt ``attempt`` (1 = the first) asks for: bounded growth."""
    return min(RETRY_GROWTH ** (attempt - 1), MAX_RETRY_FACTOR)


def runtime_minutes(
    seconds: float, attempt: int = 1, margin: float = MARGIN, min_runtime: int = MIN_RUNTIME
) -> int:
    """The time to ask for, in minutes, for a process whose work takes ``seconds``."""
    expected = STARTUP_S + seconds
    return max(min_runtime, math.ceil(margin * expected / 60 * retry_factor(attempt)))


def memory_and_gpus(
    stage: str, params: float, dtype: str = "auto", gpus: int | None = None
) -> dict[str, int]:
    """``mem_mb`` and ``gpu`` for one job of ``stage`` on a model (from its weights' size)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    if device_class(params, gpus) == "cpu":
        # float32 weights, LoRA state and activations, and the Python process
        return {"mem_mb": int(3000 + 16 * params / 1e6), "gpu": 0}
    weights_gb = params * BYTES_PER_PARAM.get(dtype, 2) / 1e9
    # fine-tuning holds LoRA optimizer state and activations on top of the frozen weights
    need_gb = weights_gb * (1.6 if stage == "finetune" else 1.25) + 4
    wanted_gpus = gpus if gpus is not None else max(1, math.ceil(need_gb / GPU_MEMORY_GB))
    return {"mem_mb": int(max(16_000, weights_gb * 1.5 * 1024 + 8_000)), "gpu": int(wanted_gpus)}


def job_resources(
    stage: str,
    params: float,
    units: float,
    dtype: str = "auto",
    gpus: int | None = None,
    attempt: int = 1,
    *,
    rates: Mapping[str, Mapping[str, float]] | None = None,
    margin: float = MARGIN,
    min_runtime: int = MIN_RUNTIME,
) -> dict[str, int]:
    """``mem_mb``, ``runtime`` (minutes) and ``gpu`` for one job of ``stage`` on a model doing
    ``units`` of work (see the module's formula)."""
    seconds = work_seconds(stage, params, units, dtype, gpus, rates)
    return {
        **memory_and_gpus(stage, params, dtype, gpus),
        "runtime": runtime_minutes(seconds, attempt, margin, min_runtime),
    }


def measured_rate(seconds: float, units: float, params: float, dtype: str = "auto") -> float:
    """Seconds per unit per billion parameters that a job of ``seconds`` doing ``units`` of work
    on a model of ``params`` shows, start-up and loading taken off (at least zero)."""
    weights_gb = params * BYTES_PER_PARAM.get(dtype, 2) / 1e9
    work = max(0.0, seconds - STARTUP_S - LOAD_S_PER_GB * weights_gb)
    return work / max(units, 1) / (params / 1e9)
