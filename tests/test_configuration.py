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


# ---------------------------------------------------------------- code digests


def digest_in(tree: Path, script: str) -> str:
    """``code_digest`` of ``scripts/<script>.py`` computed by the library copy in ``tree``."""
    import subprocess
    import sys

    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r})\n"
        "from mismatch.configuration import code_digest\n"
        f"print(code_digest({str(tree / 'scripts' / script)!r} + '.py'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def tree(tmp_path):
    """A copy of the scripts and the library in a folder of its own."""
    import shutil

    copy_root = tmp_path / "elsewhere"
    for part in ("scripts", "mismatch"):
        shutil.copytree(ROOT / part, copy_root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return copy_root


def test_code_digest_ignores_the_folder_comments_formatting_and_docstrings(tree):
    here = cfg.code_digest(ROOT / "scripts" / "label_student.py")
    assert digest_in(tree, "label_student") == here
    grading = tree / "mismatch" / "grading.py"  # imported by labels.py, which the script imports
    text = grading.read_text()
    cosmetic = text.replace('"""', '"""Reworded. ', 1).replace("\n\n\n", "\n\n\n# note\n\n", 1)
    grading.write_text("# header comment\n" + cosmetic + "\n\n")
    assert digest_in(tree, "label_student") == here


def test_code_digest_follows_library_imports_transitively(tree):
    here = {
        s: cfg.code_digest(ROOT / "scripts" / f"{s}.py") for s in ("label_student", "summarize")
    }
    assert len(set(here.values())) == 2
    grading = tree / "mismatch" / "grading.py"
    grading.write_text(grading.read_text() + "\nGRADING_EDITED = 1\n")
    assert digest_in(tree, "label_student") != here["label_student"]
    finetune = tree / "mismatch" / "finetune.py"  # not imported by the labelling script
    finetune.write_text(finetune.read_text() + "\nFINETUNE_EDITED = 1\n")
    assert "mismatch/finetune.py" not in "".join(
        cfg.library_sources("labels", "io", "joblog", "prompting", "slick")
    )


# ---------------------------------------------------------------- --config overrides


def test_nested_override_strings_become_yaml_scalars():
    overrides = {
        "finetune": {"lora": {"r": "4", "dropout": "0.1", "target_modules": "auto"}},
        "seeds": {"finetune": ["1", "2"]},
        "preconditions": {"allow_weak_teacher": "true"},
        "hf_home": "null",  # top level: Snakemake's own parsing stands
        "models": {"m": {"revision": "v1.0", "hub": "org/model"}},
    }
    assert cfg.override_scalars(overrides) == {
        "finetune": {"lora": {"r": 4, "dropout": 0.1, "target_modules": "auto"}},
        "seeds": {"finetune": [1, 2]},
        "preconditions": {"allow_weak_teacher": True},
        "hf_home": "null",
        "models": {"m": {"revision": "v1.0", "hub": "org/model"}},
    }


# ---------------------------------------------------------------- sizes known at planning time


def test_pool_and_format_sizes_are_checked_from_the_config(config):
    config = with_defaults(config)
    cfg.check_sizes(config)  # the default fits: 40 people x 4 attributes = 160 >= 64
    config["finetune_set_size"] = 161
    with pytest.raises(InputError, match=r"^config: finetune_set_size: needs 161 examples but"):
        cfg.check_sizes(config)
    config["finetune_set_size"] = 64
    config["prompt"]["n_exemplars"] = 41
    with pytest.raises(InputError, match=r"^config: prompt.n_exemplars: 41 exemplars"):
        cfg.check_sizes(config)
