"""Per-job memory, time and GPU requests computed from a model's declared size.

Estimates, not measurements: every rule's ``benchmark:`` file records what a real run used, and the
README says how to tighten these numbers for a cluster.
"""

from __future__ import annotations

import math

TINY_PARAMS = 50e6  # below this a model runs on the CPU of the job's node
GPU_MEMORY_GB = 80.0  # one A100/H100 card
BYTES_PER_PARAM = {"float32": 4, "bfloat16": 2, "float16": 2, "auto": 2}

# hours of GPU time per billion parameters for the stage's default workload, before retries;
# categories = SliCK: 10 exemplar sets x (1 greedy + 16 sampled answers) per question
_HOURS_PER_B = {"answer": 0.05, "finetune": 0.15, "label": 0.03, "categories": 0.1}


def job_resources(
    stage: str, params: float, dtype: str = "auto", gpus: int | None = None, attempt: int = 1
) -> dict[str, int]:
    """``mem_mb``, ``runtime`` (minutes) and ``gpu`` for one job of ``stage`` on a model.

    Runtime grows with ``attempt`` so a job killed at its time limit gets more on retry.
    """
    if stage not in _HOURS_PER_B:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(_HOURS_PER_B)}")
    if params < TINY_PARAMS:
        return {"mem_mb": 3000, "runtime": 30 * attempt, "gpu": int(gpus or 0)}
    weights_gb = params * BYTES_PER_PARAM.get(dtype, 2) / 1e9
    # fine-tuning holds LoRA optimizer state and activations on top of the frozen weights
    need_gb = weights_gb * (1.6 if stage == "finetune" else 1.25) + 4
    wanted_gpus = gpus if gpus is not None else max(1, math.ceil(need_gb / GPU_MEMORY_GB))
    hours = _HOURS_PER_B[stage] * params / 1e9
    return {
        "mem_mb": int(max(16_000, weights_gb * 1.5 * 1024 + 8_000)),
        "runtime": int(max(30, math.ceil(hours * 60 * 1.5)) * attempt),
        "gpu": int(wanted_gpus),
    }
