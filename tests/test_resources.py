"""Job resources from a model's declared size: memory, time and GPUs per stage."""

import pytest
import yaml
from snakemake.utils import validate
from workflow_runs import ROOT

from mismatch.configuration import model_job_resources
from mismatch.resources import job_resources

B = 1e9


def test_13b_asks_for_more_memory_and_time_than_7b_in_bf16():
    for stage in ("answer", "finetune", "label", "categories"):
        small = job_resources(stage, 7 * B, "bfloat16")
        large = job_resources(stage, 13 * B, "bfloat16")
        assert small["gpu"] == large["gpu"] == 1
        assert large["mem_mb"] > small["mem_mb"] >= 16_000
        assert large["runtime"] >= small["runtime"] >= 30
    assert job_resources("answer", 13 * B)["runtime"] > job_resources("answer", 7 * B)["runtime"]


def test_weights_decide_memory_and_gpus():
    assert (
        job_resources("answer", 7 * B, "float32")["mem_mb"]
        > job_resources("answer", 7 * B, "bfloat16")["mem_mb"]
    )
    # 140 GB of bf16 weights do not fit one 80 GB card, nor two with room for activations
    assert job_resources("answer", 70 * B, "bfloat16")["gpu"] == 3
    assert job_resources("finetune", 13 * B, "float32")["gpu"] == 2
    assert job_resources("answer", 70 * B, "bfloat16", gpus=4)["gpu"] == 4


def test_tiny_models_run_on_cpu():
    assert job_resources("answer", 1e6) == {"mem_mb": 3000, "runtime": 30, "gpu": 0}


@pytest.mark.parametrize("params", [1e6, 7 * B])
def test_a_retry_gets_proportionally_more_time(params):
    first = job_resources("finetune", params, "bfloat16")
    second = job_resources("finetune", params, "bfloat16", attempt=2)
    assert second["runtime"] == 2 * first["runtime"] and second["mem_mb"] == first["mem_mb"]


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage 'answr'"):
        job_resources("answr", 7 * B)


def test_the_paper_config_sizes_its_jobs_from_params_b():
    config = yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text())
    validate(config, str(ROOT / "schemas" / "config.schema.yaml"))
    student = model_job_resources(config, "answer", "llama2-7b", 1)
    teacher = model_job_resources(config, "answer", "llama2-13b", 1)
    assert student["gpu"] == teacher["gpu"] == 1
    assert teacher["mem_mb"] > student["mem_mb"] and teacher["runtime"] > student["runtime"]
