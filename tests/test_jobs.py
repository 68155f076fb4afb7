"""One rule per model stage: ``job_per`` only groups a stage's units into jobs (a job of one unit
is a list of one), and each job's outputs are its units' files, in unit order."""

import pytest
from workflow_runs import load_config

from mismatch.config.jobs import (
    answer_job_name,
    answer_job_outputs,
    answer_job_units,
    student_job_name,
    student_unit_patterns,
    student_unit_values,
)
from mismatch.config.sizes import student_job_units
from mismatch.configuration import validated


@pytest.fixture
def config():
    return validated(load_config("configs/tiny.yaml"))


def test_answering_units_by_job_per(config):
    models = list(config["models"])
    config["answering"]["job_per"] = "world"
    units = answer_job_units(config, {"w": "1"})
    assert units == [(m, s, 0, 1) for m in models for s in ("pool", "test")]
    assert answer_job_outputs(config) == [f"answers/{m}/{s}.parquet" for m, s, _, _ in units]
    assert answer_job_name(config) == "all_models"
    config["answering"]["job_per"] = "model"
    assert answer_job_units(config, {"w": "1", "model": "small"}) == [
        ("small", "pool", 0, 1),
        ("small", "test", 0, 1),
    ]
    assert answer_job_outputs(config) == [
        "answers/{model}/pool.parquet",
        "answers/{model}/test.parquet",
    ]
    config["answering"].update(job_per="split", questions_per_shard=5)
    one = answer_job_units(config, {"w": "1", "model": "small", "split": "test", "shard": "2"})
    assert one == [("small", "test", 2, -(-16 // 5))]  # a list of one: shard 3 of 4
    assert answer_job_outputs(config) == ["answers/{model}/{split}.shards/{shard}.parquet"]


@pytest.mark.parametrize(
    ("job_per", "wildcards", "expected"),
    [
        ("student", {}, [("own", 1), ("own", 2), ("large", 1), ("large", 2)]),
        ("recipe", {"recipe": "large"}, [("large", 1), ("large", 2)]),
        ("seed", {"recipe": "large", "seed": "2"}, [("large", 2)]),
    ],
)
def test_fine_tuning_units_by_job_per(config, job_per, wildcards, expected):
    config["finetune"]["job_per"] = job_per
    ids = {"w": "1", "student": "small", **wildcards}
    assert student_unit_values(config, ids) == expected
    assert len(student_unit_patterns(config)) == student_job_units(config) == len(expected)
    assert student_job_name(config).format(**ids) == "/".join(
        [ids["student"]]
        + ([ids["recipe"]] if "recipe" in ids else [])
        + ([f"ft{ids['seed']}"] if "seed" in ids else [])
    )
