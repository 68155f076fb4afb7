import copy
from pathlib import Path

import pytest
import yaml

from mismatch import configuration as cfg
from mismatch.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "config.schema.yaml"


@pytest.fixture
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def with_defaults(config):
    """The config as the workflow sees it after schema defaults are filled in."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(SCHEMA))
    return config


@pytest.mark.parametrize("path", ["config.yaml", "configs/tiny.yaml"])
def test_shipped_configs_are_valid(path):
    config = yaml.safe_load((ROOT / path).read_text())
    assert cfg.schema_error(config, SCHEMA) is None
    cfg.check_config(with_defaults(config))


def test_unknown_key_is_named(config):
    config["finetune"]["lora"]["rank"] = 8
    assert cfg.schema_error(config, SCHEMA).startswith("finetune.lora.rank: unknown key")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["sedes"] = {}
    assert cfg.schema_error(config, SCHEMA).startswith("sedes: unknown key")


def test_wrong_type_is_named(config):
    config["finetune"]["steps"] = "many"
    message = cfg.schema_error(config, SCHEMA)
    assert message.startswith("finetune.steps: expected integer")
    assert "\n" not in message


def test_student_must_be_a_model(config):
    config["students"] = ["tiny"]
    with pytest.raises(InputError, match=r"students\[0\]: 'tiny' is not a configured model"):
        cfg.check_config(with_defaults(config))


def test_recipe_teacher_must_exist(config):
    config["recipes"]["huge"] = {"kind": "teacher", "teacher": "huge"}
    with pytest.raises(InputError, match="recipes.huge.teacher"):
        cfg.check_config(with_defaults(config))


def test_missing_model_path_fails_naming_the_model(tmp_path, config):
    config["questions"]["source"] = "files"
    for split in ("pool", "test", "format"):
        (tmp_path / f"{split}.parquet").write_text("x")
    config["questions"]["files"] = {
        s: str(tmp_path / f"{s}.parquet") for s in ("pool", "test", "format")
    }
    config["models"] = {
        "small": {"path": str(tmp_path / "nope"), "params_b": 7},
        "large": {"path": str(tmp_path), "params_b": 13},
    }
    with pytest.raises(
        InputError, match=r"models.small.path: model directory .*nope does not exist"
    ):
        cfg.check_config(with_defaults(config))


def test_larger_teachers_and_finetune_overrides(config):
    config = with_defaults(config)
    assert cfg.larger_teachers(config, "small") == ["large"]
    assert cfg.source_models(config, "small") == ["small", "large"]
    config["models"]["small"]["finetune"] = {"lora": {"r": 2}, "steps": 7}
    merged = cfg.finetune_settings(config, "small")
    assert merged["lora"]["r"] == 2 and merged["lora"]["alpha"] == 16 and merged["steps"] == 7


def test_library_sources_follow_imports(tmp_path):
    files = {Path(p).name for p in cfg.library_sources("answering")}
    assert {"answering.py", "grading.py", "prompting.py"} <= files
    assert "finetune.py" not in files
