import copy
import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
import yaml

from mismatch import configuration as cfg
from mismatch.answers.prompting import PromptFormat
from mismatch.config.digests import package_imports
from mismatch.errors import InputError
from mismatch.knowing.slick import SlickSettings
from mismatch.training.finetune import FinetuneSettings, LoraSettings, settings_from_config
from mismatch.world.fictional import WorldSettings
from mismatch.world.pretrain import PretrainSettings

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "config.schema.yaml"


@pytest.fixture
def config():
    """The default config with the schema's defaults filled in (config.yaml holds only what
    differs from them)."""
    return cfg.validated(yaml.safe_load((ROOT / "config.yaml").read_text()))


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
    files = {Path(p).name for p in cfg.library_sources("answers.answering")}
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


# ---------------------------------------------------------------- one source of defaults

# Every settings object the stages build, with the config section it is built from.
SETTINGS = {
    PromptFormat: ("prompt", PromptFormat.from_config),
    LoraSettings: ("finetune", lambda section: settings_from_config(section)[0]),
    FinetuneSettings: ("finetune", lambda section: settings_from_config(section)[1]),
    PretrainSettings: ("models.small.pretrain", PretrainSettings.from_config),
    WorldSettings: ("questions.synthetic", WorldSettings.from_config),
    SlickSettings: ("knowledge_categories", SlickSettings.from_config),
}
SCHEMA_DOC = yaml.safe_load(SCHEMA.read_text())


def schema_node(path):
    """The schema of the config key at ``path`` (a list of keys), or ``None`` if it has none."""
    node = SCHEMA_DOC
    for key in path:
        node = _resolve(node)
        props = node.get("properties", {})
        if key in props:
            node = props[key]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return _resolve(node)


def _resolve(node):
    while "$ref" in node:
        node = SCHEMA_DOC["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


class Recorder(dict):
    """A config mapping that records the key path of every value read from it."""

    def __init__(self, data, path, seen):
        super().__init__(data)
        self._path, self._seen = path, seen

    def _wrap(self, key, value):
        path = (*self._path, key)
        self._seen.add(path)
        return Recorder(value, path, self._seen) if isinstance(value, dict) else value

    def __getitem__(self, key):
        return self._wrap(key, super().__getitem__(key))

    def get(self, key, default=None):
        return self._wrap(key, super().get(key, default)) if key in self else default

    def items(self):
        return [(k, self[k]) for k in self]

    def values(self):
        return [self[k] for k in self]


def reads_of(config):
    """Key paths the plan-time code and every settings object read from ``config``."""
    seen = set()
    recorded = Recorder(config, (), seen)
    cfg.check_config(recorded)
    for student in config["students"]:
        cfg.finetune_settings(recorded, student)
        cfg.larger_teachers(recorded, student)
        cfg.source_models(recorded, student)
    for model in config["models"]:
        cfg.answering_settings(recorded, model)
        for stage in ("answer", "finetune", "label", "categories"):
            units = cfg.stage_units(recorded, stage, model, 10)
            cfg.model_job_resources(recorded, {stage: units}, [model], 1)
    for split in ("pool", "test", "format"):
        cfg.answer_shards(recorded, split)
    for section, build in SETTINGS.values():
        node = recorded
        for key in section.split("."):
            node = node[key]
        build(node)
    for model in config["models"]:
        PretrainSettings.from_config(recorded["models"][model]["pretrain"])
    return seen


def test_every_key_the_code_reads_is_in_the_schema():
    config = with_defaults(yaml.safe_load((ROOT / "config.yaml").read_text()))
    cfg.expand_sweeps(config)
    reads = reads_of(config)
    assert ("finetune", "max_grad_norm") in reads and ("finetune", "lr_schedule") in reads
    missing = sorted(".".join(map(str, p)) for p in reads if schema_node(p) is None)
    assert not missing, f"read by the code but not in the schema: {missing}"


def test_rules_read_only_schema_keys():
    pattern = re.compile(r'config((?:\["[^"]+"\])+)')
    for path in [*ROOT.glob("rules/*.smk"), ROOT / "Snakefile"]:
        for chain in pattern.findall(path.read_text()):
            keys = re.findall(r'\["([^"]+)"\]', chain)
            assert schema_node(keys) is not None, f"{path.name}: config{chain} is not in the schema"


@pytest.mark.parametrize("cls", list(SETTINGS), ids=lambda c: c.__name__)
def test_settings_classes_carry_no_defaults(cls):
    with_default = [f.name for f in fields(cls) if f.default is not MISSING]
    with_default += [f.name for f in fields(cls) if f.default_factory is not MISSING]
    assert not with_default, f"{cls.__name__} has defaults of its own: {with_default}"


def _other_value(node, value):
    """A valid value for a key with schema ``node`` that differs from ``value``."""
    if "enum" in node:
        return next(v for v in node["enum"] if v != value)
    if "oneOf" in node:
        return ["q_proj", "v_proj"]  # lora.target_modules: a list instead of "all-linear"
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    if value is None:
        return node.get("minimum", 1) * 8 if "integer" in types else 0.5
    if isinstance(value, bool):
        return not value
    if isinstance(value, int) and "integer" in types:
        return value + 1
    if isinstance(value, int | float):
        return value / 2 if value else 0.5
    if isinstance(value, str):
        return "Q " + value
    if isinstance(value, list):
        return value[:1]
    if isinstance(value, dict):  # split_entities: move one entity between splits
        return {**value, "format": value["format"] + 1, "pool": value["pool"] - 1}
    raise AssertionError(f"no other value for {value!r}")


@pytest.mark.parametrize("cls", list(SETTINGS), ids=lambda c: c.__name__)
def test_every_setting_is_settable_through_the_config(cls):
    section, build = SETTINGS[cls]
    base = with_defaults(yaml.safe_load((ROOT / "config.yaml").read_text()))
    path = section.split(".")
    for field in fields(cls):
        config = copy.deepcopy(base)
        node = config
        for key in path:
            node = node[key]
        inner = ["lora"] if cls is LoraSettings else []
        target = node["lora"] if inner else node
        new = _other_value(schema_node([*path, *inner, field.name]), target[field.name])
        target[field.name] = new
        assert cfg.schema_error(config, SCHEMA) is None, (field.name, new)
        built = getattr(build(node), field.name)
        expected = tuple(new) if isinstance(new, list) else new
        assert built == expected, field.name


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("questions.synthetic.vocab_size", 100),
        ("questions.synthetic.attributes", ["color", "color"]),
        ("questions.synthetic.split_entities", {"pool": 18, "test": 12}),
        ("models.small.pretrain.architecture", "mamba"),
        ("models.small.pretrain.steps", 0),
        ("finetune.lr_schedule", "linear"),
        ("finetune.max_grad_norm", 0),
        ("knowledge_categories.temperature", 0),
        ("questions.synthetic.slice_unit", "sentence"),
        ("questions.synthetic.n_abstention_lines", -1),
        ("models.small.pretrain.knows", 1.5),
    ],
)
def test_bounds_are_the_schemas_job(config, key, value):
    """The library no longer re-checks these: a bad value stops the run at validation."""
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    assert cfg.schema_error(config, SCHEMA).startswith(key)


def test_schema_defaults_agree_with_config_yaml():
    """config.yaml restates some defaults for the reader; where it does, they must agree with
    the schema's, except for the keys it sets on purpose."""
    on_purpose = {"prompt.answer_template", "finetune_set_size"}
    default = yaml.safe_load((ROOT / "config.yaml").read_text())
    minimal = {k: default[k] for k in ("models", "students", "recipes")}
    schema_defaults = with_defaults(minimal)

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*path, key))
        else:
            yield path, value

    for path, value in walk(default, ()):
        dotted = ".".join(path)
        if path[0] in ("models", "students", "recipes", "sweeps", "seeds") or dotted in on_purpose:
            continue
        node = schema_defaults
        for key in path:
            node = node[key]
        assert node == value, f"config.yaml {dotted}={value!r}, schema default {node!r}"


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
    here = cfg.code_digest(ROOT / "scripts" / "answer_questions.py")
    assert digest_in(tree, "answer_questions") == here
    grading = (
        tree / "mismatch" / "answers" / "grading.py"
    )  # imported by answering.py, which the script imports
    text = grading.read_text()
    cosmetic = text.replace('"""', '"""Reworded. ', 1).replace("\n\n\n", "\n\n\n# note\n\n", 1)
    grading.write_text("# header comment\n" + cosmetic + "\n\n")
    assert digest_in(tree, "answer_questions") == here


def test_code_digest_follows_library_imports_transitively(tree):
    here = {
        s: cfg.code_digest(ROOT / "scripts" / f"{s}.py") for s in ("answer_questions", "analyse")
    }
    assert len(set(here.values())) == 2
    grading = tree / "mismatch" / "answers" / "grading.py"
    grading.write_text(grading.read_text() + "\nGRADING_EDITED = 1\n")
    assert digest_in(tree, "answer_questions") != here["answer_questions"]
    finetune = (
        tree / "mismatch" / "training" / "finetune.py"
    )  # not imported by the labelling modules
    finetune.write_text(finetune.read_text() + "\nFINETUNE_EDITED = 1\n")
    assert "mismatch/training/finetune.py" not in "".join(
        cfg.library_sources("training.labels", "io", "joblog", "answers.prompting", "knowing.slick")
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


def test_knowledge_basis_is_the_ground_truth_where_there_is_one(config):
    synthetic = with_defaults(config)
    assert synthetic["knowledge"]["basis"] == "auto"
    assert cfg.knowledge_basis(synthetic) == "truth"
    assert cfg.recipe_knowledge_rule(synthetic, "large") == "truth"
    synthetic["recipes"]["large"]["knowledge_rule"] = "contains"  # a recipe's own rule wins
    assert cfg.recipe_knowledge_rule(synthetic, "large") == "contains"
    synthetic["knowledge"]["basis"] = "measured"
    assert cfg.recipe_knowledge_rule(synthetic, "own") == "measured"
    paper = with_defaults(yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text()))
    assert cfg.knowledge_basis(paper) == "measured"
    paper["knowledge"]["basis"] = "truth"
    with pytest.raises(InputError, match="knowledge.basis: truth needs the synthetic world"):
        cfg.check_config(paper)


def test_answering_shards_need_a_job_per_split(config):
    config = with_defaults(config)
    config["answering"]["questions_per_shard"] = 10
    with pytest.raises(InputError, match="shards need answering.job_per: split"):
        cfg.check_config(config)
    config["answering"]["job_per"] = "split"
    cfg.check_config(config)


def test_category_and_early_stopping_recipes_are_checked_in_one_line(config):
    config["recipes"]["unknown"] = {"kind": "category", "category": "Unknown", "size": 8}
    config["recipes"]["own_early"] = {"kind": "teacher", "teacher": "self", "stopping": "early"}
    cfg.check_config(with_defaults(config))  # the default has finetune_set_size
    config["recipes"]["unknown"] = {"kind": "category"}
    with pytest.raises(
        InputError, match="recipes.unknown: kind category needs category \\(missing category\\)"
    ):
        cfg.check_config(with_defaults(config))
    config["recipes"]["unknown"]["category"] = "Rare"
    assert cfg.schema_error(config, SCHEMA).startswith("recipes.unknown.category")
    del config["recipes"]["unknown"]
    config["finetune_set_size"] = None
    with pytest.raises(InputError, match="recipes.own_early.stopping: early stopping needs dev"):
        cfg.check_config(with_defaults(config))
    assert cfg.recipe_stopping(with_defaults(config))["own_early"] == "early"
    assert cfg.recipe_stopping(with_defaults(config))["own"] == "converged"


def test_a_model_with_two_sources_is_one_line_saying_which_key_to_null(tmp_path):
    config = {"models": {"m": {"hub": "org/m", "path": str(tmp_path)}}}
    problem = cfg.schema_error(config, ROOT / "schemas" / "config.schema.yaml")
    assert problem.startswith("models.m: one model source, not path and hub; drop one")
    assert "`hub: null` beside `path:`" in problem and "oneOf" not in problem
    assert "\n" not in problem


def test_the_analysis_does_not_run_prose_and_the_rendering_runs_no_statistics_job():
    """Editing a sentence reruns only rendering: the analyse rule's code digest does not cover
    mismatch/report/rendering.py, and the renderer imports neither the analysis nor the model
    stack."""

    def sources(script):
        imports = package_imports(ROOT / "scripts" / f"{script}.py")
        return {Path(p).name for p in cfg.library_sources(*imports)}

    assert "rendering.py" not in sources("analyse") | sources("gather_labels")
    rendering = sources("render_summary")
    assert "rendering.py" in rendering
    assert not {"tables.py", "study_tables.py", "finetune.py", "loading.py"} & rendering


def test_an_overlay_removes_keys_of_its_base(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "recipes:\n  own: {kind: teacher, teacher: self}\n  gold: {kind: gold}\n"
        "finetune_set_size: 600\n"
    )
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("extends: base.yaml\nremove: [recipes.gold, finetune_set_size]\n")
    layered = cfg.load_layered(overlay)
    assert layered == {"recipes": {"own": {"kind": "teacher", "teacher": "self"}}}
    overlay.write_text("extends: base.yaml\nremove: [recipes.silver]\n")
    with pytest.raises(InputError, match="'recipes.silver' is not a key of the base config"):
        cfg.load_layered(overlay)
    (tmp_path / "alone.yaml").write_text("remove: [recipes.gold]\n")
    with pytest.raises(InputError, match="remove: needs extends"):
        cfg.load_layered(tmp_path / "alone.yaml")


def test_the_ci_real_model_config_is_the_real_one_less_two_recipes_and_smaller():
    full = cfg.load_layered(ROOT / "configs" / "real-small.yaml")
    ci = cfg.load_layered(ROOT / "configs" / "real-small-ci.yaml")
    assert set(full["recipes"]) - set(ci["recipes"]) == {"gold", "random_idk"}
    assert ci["models"] == full["models"] and ci["students"] == full["students"]


def test_teacher_other_is_the_other_model_of_a_two_model_study():
    config = {
        "models": {"a": {}, "b": {}},
        "recipes": {"other": {"kind": "teacher", "teacher": "other"}},
    }
    assert cfg.teacher_of(config, "other", "a") == "b"
    assert cfg.teacher_of(config, "other", "b") == "a"


def test_teacher_other_needs_exactly_two_models():
    config = cfg.validated(cfg.load_layered(ROOT / "configs" / "tiny.yaml"))
    config["recipes"]["swap"] = {"kind": "teacher", "teacher": "other"}
    config["models"]["third"] = dict(config["models"]["small"])
    with pytest.raises(InputError, match="'other' needs exactly two models"):
        cfg.check_config(config)


def test_the_default_config_restates_no_schema_default():
    """Defaults live in the schema only: config.yaml says what differs (the models' shapes
    excepted: a model is read whole)."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text())
    filled = cfg.validated({k: raw[k] for k in ("models", "students", "recipes")})

    def restated(value, default, path):
        if isinstance(value, dict) and isinstance(default, dict):
            return [p for k, v in value.items() if k in default
                    for p in restated(v, default[k], f"{path}.{k}")]  # fmt: skip
        return [path] if value == default else []

    found = [p for k, v in raw.items() if k not in ("models", "students", "recipes")
             for p in restated(v, filled.get(k), k)]  # fmt: skip
    assert not found, f"config.yaml restates schema defaults: {found}"
