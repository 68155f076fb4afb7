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


# ---------------------------------------------------------------- layered configs (extends)
def write_yaml(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_extends_merges_mappings_and_replaces_lists_and_scalars(tmp_path):
    write_yaml(tmp_path / "base.yaml", {"a": {"x": 1, "y": [1, 2]}, "b": 2, "c": {"k": "v"}})
    write_yaml(tmp_path / "sub" / "mid.yaml", {"extends": "../base.yaml", "a": {"y": [3]}, "b": 5})
    top = write_yaml(tmp_path / "top.yaml", {"extends": "sub/mid.yaml", "a": {"z": 0}})
    assert cfg.load_layered(top) == {"a": {"x": 1, "y": [3], "z": 0}, "b": 5, "c": {"k": "v"}}


def test_command_line_values_win_over_every_layer(tmp_path):
    write_yaml(tmp_path / "base.yaml", {"finetune": {"steps": 3, "batch_size": 4}})
    top = write_yaml(tmp_path / "top.yaml", {"extends": "base.yaml", "finetune": {"steps": 5}})
    merged = cfg.layered_config([top], {"finetune": {"steps": 9}, "seeds": {"world": [4]}})
    assert merged == {"finetune": {"steps": 9, "batch_size": 4}, "seeds": {"world": [4]}}


def test_extends_cycle_is_one_line_naming_the_files(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml"})
    with pytest.raises(InputError, match="extends cycle") as err:
        cfg.load_layered(tmp_path / "a.yaml")
    message = str(err.value)
    assert "\n" not in message and "a.yaml -> " in message and "b.yaml -> " in message


def test_missing_base_names_the_extending_file(tmp_path):
    top = write_yaml(tmp_path / "top.yaml", {"extends": "nope.yaml"})
    with pytest.raises(InputError, match=r"top.yaml: extends: no such config file .*nope.yaml"):
        cfg.load_layered(top)


def test_controls_config_is_the_default_plus_its_differences():
    controls = yaml.safe_load((ROOT / "configs" / "controls.yaml").read_text())
    assert controls["extends"] == "../config.yaml"
    assert set(controls) == {"extends", "recipes", "sweeps", "summary"}
    layered = cfg.load_layered(ROOT / "configs" / "controls.yaml")
    default = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert {k: v for k, v in layered.items() if k not in controls} == {
        k: v for k, v in default.items() if k not in controls
    }
    assert set(default["recipes"]) < set(layered["recipes"])  # own and large kept, controls added
    assert cfg.schema_error(layered, SCHEMA) is None
    cfg.check_config(with_defaults(layered))


def test_schema_accepts_extends(config):
    config["extends"] = "../config.yaml"
    assert cfg.schema_error(config, SCHEMA) is None


def test_an_overlay_switches_a_hub_model_to_a_path_with_hub_null(tmp_path):
    from mismatch.configuration import drop_unset_model_sources, layered_config

    base = tmp_path / "base.yaml"
    base.write_text("models:\n  m: {hub: org/m, params_b: 7, dtype: bfloat16}\n")
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("extends: base.yaml\nmodels:\n  m: {hub: null, path: /models/m}\n")
    config = layered_config([overlay])
    drop_unset_model_sources(config)
    assert config["models"]["m"] == {"path": "/models/m", "params_b": 7, "dtype": "bfloat16"}


def test_categories_follow_answering_shards_unless_set():
    from mismatch.configuration import answer_shards, category_shards

    config = {
        "questions": {"source": "triviaqa", "triviaqa": {"test_size": 25}},
        "answering": {"questions_per_shard": 10},
        "knowledge_categories": {"questions_per_shard": None},
    }
    assert answer_shards(config, "test") == category_shards(config, "test") == 3
    config["knowledge_categories"]["questions_per_shard"] = 0
    assert category_shards(config, "test") == 1
    config["knowledge_categories"]["questions_per_shard"] = 5
    assert category_shards(config, "test") == 5
