"""Plan-time view of the study configuration: one-line validation errors and derived settings.

Imported by the Snakefile while planning, so it must stay light (no torch, no transformers).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mismatch.errors import InputError
from mismatch.model_sources import SOURCES, given_sources, source_of
from mismatch.question_sources import question_source
from mismatch.recipe_kinds import recipe_kind
from mismatch.sweep_recipes import (  # noqa: F401 (the config API: rules use cfg.expand_sweeps)
    OTHER,
    SELF,
    expand_sweeps,
    grid_recipes,
)

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_PATH = PACKAGE_DIR.parent / "schemas" / "config.schema.yaml"


EXTENDS = "extends"
REMOVE = "remove"  # keys of the base an overlay deletes


def load_layered(path: str | Path) -> dict[str, Any]:
    """A config file with its ``extends:`` chain resolved (bases first, this file merged over).

    ``extends`` names a base file relative to the directory of the file that names it; chains are
    allowed, cycles are an error naming the files. ``remove`` lists dotted keys of the base to
    delete before this file is merged over it (``recipes.gold``): a mapping merge cannot.
    """
    return _load_layer(Path(path), [])


def _load_layer(path: Path, chain: list[Path]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in [*chain[chain.index(resolved) :], resolved])
        raise InputError(str(chain[-1]), f"extends cycle: {cycle}")
    if not path.is_file():
        where = f"{chain[-1]}: {EXTENDS}" if chain else "config"
        raise InputError(where, f"no such config file {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise InputError(str(path), f"not valid YAML ({' '.join(str(err).split())})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(str(path), "a config file must be a mapping of keys")
    base = data.pop(EXTENDS, None)
    removed = data.pop(REMOVE, [])
    if base is None:
        if removed:
            raise InputError(f"{path}: {REMOVE}", f"needs {EXTENDS}: a base to remove keys from")
        return data
    if not isinstance(base, str):
        raise InputError(f"{path}: {EXTENDS}", f"expected a file path, got {base!r}")
    merged = _load_layer(path.parent / base, [*chain, resolved])
    for key in removed if isinstance(removed, list) else [removed]:
        _remove(merged, str(key), f"{path}: {REMOVE}")
    return deep_merge(merged, data)


def _remove(config: dict[str, Any], dotted: str, where: str) -> None:
    """Delete the key at ``dotted`` (e.g. ``recipes.gold``) from the base ``config``; then the
    schema's default applies, unless the overlay sets it again."""
    *parents, last = dotted.split(".")
    node: Any = config
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or last not in node:
        raise InputError(where, f"{dotted!r} is not a key of the base config")
    del node[last]


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base``: mappings merge recursively; lists and scalars replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _plain(value)
    return merged


def _plain(value: Any) -> Any:
    """Plain dicts and lists all the way down (Snakemake's --config values are frozen maps)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)


def layered_config(
    configfiles: Iterable[str | Path], command_line: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The config the workflow runs: each file's layers resolved, the files merged in order, then
    the command line's ``--config`` values merged over them (they win)."""
    merged: dict[str, Any] = {}
    for path in configfiles:
        merged = deep_merge(merged, load_layered(path))
    return deep_merge(merged, command_line or {})


def validated(config: Mapping[str, Any], schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """A copy of ``config`` checked against the schema with the schema's defaults filled in: the
    settings every stage reads (the schema is the only place a default lives)."""
    problem = schema_error(config, schema_path)
    if problem:
        raise InputError("config", problem)
    from snakemake.utils import validate  # fills in defaults exactly as the workflow does

    filled = copy.deepcopy(dict(config))
    validate(filled, str(schema_path))
    return filled


MODEL_SOURCES = tuple(SOURCES)  # mismatch.model_sources: one entry per kind of source


def drop_unset_model_sources(config: dict[str, Any]) -> None:
    """Remove model sources set to null, so an overlay can switch a base config's hub model to a
    local directory (``hub: null`` and ``path: ...``: mappings merge, so the base's ``hub`` would
    otherwise stay)."""
    for spec in (config.get("models") or {}).values():
        if isinstance(spec, dict):
            for key in MODEL_SOURCES:
                if key in spec and spec[key] is None:
                    del spec[key]


def schema_error(config: Mapping[str, Any], schema_path: str | Path) -> str | None:
    """The most relevant JSON-schema violation of ``config`` as one line, or ``None`` (a model
    with two sources first: the schema alone would print its raw ``oneOf``)."""
    for name, spec in (config.get("models") or {}).items():
        given = given_sources(spec) if isinstance(spec, dict) else []
        if len(given) > 1:
            return (
                f"models.{name}: one model source, not {' and '.join(given)}; drop one (an "
                "overlay that replaces its base's source sets the base's to null, e.g. "
                "`hub: null` beside `path:`)"
            )
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    return _describe(error)


def _describe(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into 'key.path: what is wrong'."""
    if error.validator == "oneOf" and error.context:
        return _describe(min(error.context, key=lambda e: len(list(e.path))))
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        prefix = f"{key}." if error.absolute_path else ""
        return f"{prefix}{unknown[0]}: unknown key{hint}"
    if error.validator == "type":
        got = f"{type(error.instance).__name__} {error.instance!r}"
        return f"{key}: expected {error.validator_value}, got {got}"
    if error.validator == "required":
        return f"{key}: {error.message}"
    return f"{key}: {error.message}"


def check_config(config: Mapping[str, Any], source: str = "config") -> None:
    """Check what the schema cannot: names that must refer to each other, and local paths."""
    models = config["models"]
    names = ", ".join(models)
    for i, student in enumerate(config["students"]):
        if student not in models:
            raise InputError(
                f"{source}: students[{i}]", f"{student!r} is not a configured model ({names})"
            )
    for recipe, spec in config["recipes"].items():
        teacher = spec.get("teacher")
        kind = recipe_kind(spec, f"{source}: recipes.{recipe}")
        if kind.needs_size and recipe_size(config, recipe) is None:
            raise InputError(
                f"{source}: finetune_set_size",
                f"recipe {recipe!r} (kind {kind.name}) needs an example count: set "
                "finetune_set_size or the recipe's size",
            )
        missing = [key for key in kind.required_keys if key not in spec]
        if missing:
            raise InputError(
                f"{source}: recipes.{recipe}",
                f"kind {kind.name} needs {' and '.join(kind.required_keys)} "
                f"(missing {', '.join(missing)})",
            )
        if kind.needs_teacher:
            if teacher is None:
                raise InputError(
                    f"{source}: recipes.{recipe}.teacher", f"required for kind {spec['kind']!r}"
                )
            if teacher == OTHER and len(models) != 2:
                raise InputError(
                    f"{source}: recipes.{recipe}.teacher",
                    f"'other' needs exactly two models (there are {len(models)}: {names})",
                )
            if teacher not in (SELF, OTHER) and teacher not in models:
                raise InputError(
                    f"{source}: recipes.{recipe}.teacher",
                    f"{teacher!r} is not a configured model ({names}) nor 'self' or 'other'",
                )
    for recipe, spec in config["recipes"].items():
        if spec.get("stopping") == "early" and recipe_size(config, recipe) is None:
            raise InputError(
                f"{source}: recipes.{recipe}.stopping",
                "early stopping needs dev questions held out of the set: set finetune_set_size "
                "or the recipe's size",
            )
        if spec.get("target", "gold") != "gold" and spec["kind"] != "teacher":
            raise InputError(
                f"{source}: recipes.{recipe}.target",
                f"only teacher recipes can teach the teacher's own words (kind {spec['kind']!r})",
            )
    grid = config["sweeps"].get("grid")
    if grid is not None and 0 not in grid["mismatch"]:
        raise InputError(
            f"{source}: sweeps.grid.mismatch",
            f"must include 0, the reference of every row (got {grid['mismatch']})",
        )
    primary = config.get("analysis", {}).get("primary")
    if primary is not None and primary not in config["recipes"]:
        raise InputError(
            f"{source}: analysis.primary",
            f"{primary!r} is not a configured recipe ({', '.join(config['recipes'])})",
        )
    if config["knowledge"]["basis"] == "truth" and config["questions"]["source"] != "synthetic":
        raise InputError(
            f"{source}: knowledge.basis",
            "truth needs the synthetic world's ground truth (use measured or auto)",
        )
    answering = config["answering"]
    if answering["questions_per_shard"] > 0 and answering["job_per"] != "split":
        raise InputError(
            f"{source}: answering.questions_per_shard",
            f"shards need answering.job_per: split (it is {answering['job_per']!r})",
        )
    synthetic = config["questions"]["source"] == "synthetic"
    exposure = synthetic and config["questions"]["synthetic"]["knowledge_model"] == "exposure"
    for name, model in models.items():
        kind = source_of(model, name)
        kind.check(model[kind.key], f"{source}: models.{name}.{kind.key}")
        if model.get("prompt_style") == "chat" and kind.has_chat_template(model[kind.key]) is False:
            raise InputError(
                f"{source}: models.{name}.prompt_style",
                f"chat, but its {kind.key} model has no chat template (a base model? use plain)",
            )
        knows = "knows" in model.get("pretrain", {})
        if synthetic and kind.pretrained and knows == exposure:
            raise InputError(
                f"{source}: models.{name}.pretrain.knows",
                "the exposure world has one corpus for every model (drop knows; models differ in "
                "size and steps)"
                if exposure
                else "required: the share of facts in this model's slice of the world",
            )
        if synthetic and not kind.pretrained:
            raise InputError(
                f"{source}: models.{name}",
                f"the synthetic world needs models pretrained on it (give 'pretrain', not "
                f"{kind.key})",
            )
        if not synthetic and kind.pretrained:
            raise InputError(
                f"{source}: models.{name}.pretrain",
                "only the synthetic question source can pretrain models",
            )
    question_source(config).check(config["questions"], f"{source}: questions")


def teacher_of(config: Mapping[str, Any], recipe: str, student: str) -> str | None:
    """The model whose answers a recipe is built from (``None`` for recipes without one):
    ``self`` is the student, ``other`` the one other model of a two-model study (so one recipe
    runs both directions: each model a student of the other)."""
    teacher = config["recipes"][recipe].get("teacher")
    if teacher == OTHER:
        return next(name for name in config["models"] if name != student)
    return student if teacher == SELF else teacher


def finetune_settings(config: Mapping[str, Any], student: str) -> dict[str, Any]:
    """Global fine-tuning settings with the student's own overrides merged in."""
    merged = copy.deepcopy(dict(config["finetune"]))
    overrides = config["models"][student].get("finetune", {})
    for key, value in overrides.items():
        if key == "lora":
            merged["lora"] = {**merged["lora"], **value}
        else:
            merged[key] = value
    merged["dtype"] = config["models"][student]["dtype"]
    if config["models"][student].get("device_map") is not None:  # unset: the job's params as before
        merged["device_map"] = config["models"][student]["device_map"]
    return merged


def recipe_size(config: Mapping[str, Any], recipe: str) -> int | None:
    """Examples in each of the recipe's sets: its own ``size``, else ``finetune_set_size``."""
    return config["recipes"][recipe].get("size", config["finetune_set_size"])


def recipe_stopping(config: Mapping[str, Any]) -> dict[str, str]:
    """Recipe -> ``converged`` (the full step budget) or ``early`` (the best dev step)."""
    return {name: spec.get("stopping", "converged") for name, spec in config["recipes"].items()}


def knowledge_basis(config: Mapping[str, Any]) -> str:
    """``truth`` or ``measured``: what decides that a model knows a fact (``knowledge.basis``;
    ``auto`` is truth in the synthetic world, measured elsewhere)."""
    basis = config["knowledge"]["basis"]
    if basis == "auto":
        return "truth" if config["questions"]["source"] == "synthetic" else "measured"
    return basis


def recipe_knowledge_rule(config: Mapping[str, Any], recipe: str) -> str:
    """How recipe ``recipe`` decides what a model knows: its own ``knowledge_rule``, else
    ``truth`` or ``answer`` by ``knowledge_basis``."""
    spec = config["recipes"][recipe]
    rule = spec.get("knowledge_rule")
    if rule is not None:
        return rule
    if spec.get("target") == "answer":
        return "answer"  # the teacher's words are taught only where they were graded correct
    return "truth" if knowledge_basis(config) == "truth" else "answer"


def model_prompt(config: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The prompt section as ``model`` is prompted: with ``style: chat`` where the model's
    ``prompt_style`` is chat (plain prompts stay the section itself)."""
    prompt = dict(config["prompt"])
    if config["models"][model].get("prompt_style", "plain") != "plain":
        prompt["style"] = config["models"][model]["prompt_style"]
    return prompt


def answering_settings(config: Mapping[str, Any], model: str) -> dict[str, Any]:
    """Batch size, new-token budget, dtype and loading options for one model."""
    spec = config["models"][model]
    defaults = config["answering"]
    return {
        "batch_size": spec.get("batch_size", defaults["batch_size"]),
        "max_new_tokens": spec.get("max_new_tokens", defaults["max_new_tokens"]),
        "dtype": spec["dtype"],
        "device_map": spec["device_map"],
        "trust_remote_code": spec["trust_remote_code"],
        "grading": defaults["grading"],
        "prefix_cache": defaults["prefix_cache"],
    }


def estimated_params(model: Mapping[str, Any], vocab_size: int) -> float:
    """Parameters of a model: declared ``params_b`` or, for pretrained ones, from its shape."""
    if "params_b" in model:
        return float(model["params_b"]) * 1e9
    if "pretrain" not in model:
        raise InputError("models", "a path, hub or gguf model must declare params_b")
    p = model["pretrain"]
    h, layers = p["hidden_size"], p["n_layers"]
    llama = p["architecture"] == "llama"
    inner = p["intermediate_size"] or (-(-8 * h // 3 // 32) * 32 if llama else 4 * h)
    per_layer = 4 * h * h + (3 if llama else 2) * h * inner
    return float(vocab_size * h + layers * per_layer)


def larger_teachers(config: Mapping[str, Any], student: str) -> list[str]:
    """Teachers used by some recipe that are configured as larger than ``student``."""
    vocab = config["questions"]["synthetic"]["vocab_size"]
    size = estimated_params(config["models"][student], vocab)
    teachers = {teacher_of(config, r, student) for r in config["recipes"]} - {None, student}
    return sorted(t for t in teachers if estimated_params(config["models"][t], vocab) > size)


def source_models(config: Mapping[str, Any], student: str) -> list[str]:
    """Models whose pool answers the student's recipes need (the student first)."""
    teachers = {teacher_of(config, r, student) for r in config["recipes"]} - {None, student}
    return [student, *sorted(teachers)]


def export_package_path() -> None:
    """Put this package on PYTHONPATH so the jobs' scripts import the same library."""
    root = str(PACKAGE_DIR.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


def library_sources(*modules: str) -> list[str]:
    """Source files of ``mismatch`` modules and everything in the package they import."""
    seen: set[str] = set()
    todo = [m.removeprefix("mismatch.") for m in modules]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_package_imports(PACKAGE_DIR / f"{name}.py"))
    return sorted(str(PACKAGE_DIR / f"{name}.py") for name in seen)


def code_digest(script: str | Path) -> str:
    """16 hex chars naming the code a job runs: its script and every library module it imports.

    Computed from each file's syntax tree without docstrings (``ast.dump``), so a change to what
    the code does changes it, while comments, formatting and docstrings do not; file names enter
    relative to the repository, so the folder a study lives in and file times do not either.
    Passed to a rule as a param, this is the rule's rerun trigger for code.
    """
    script = Path(script)
    modules = library_sources(*_package_imports(script))
    root = PACKAGE_DIR.parent
    digest = hashlib.sha256()
    for path in [script, *map(Path, modules)]:
        name = path.resolve().relative_to(root.resolve()).as_posix()
        digest.update(f"{name}\0{_syntax(path)}\0".encode())
    return digest.hexdigest()[:16]


def _syntax(path: Path) -> str:
    """The syntax tree of a Python file without docstrings, as ``ast.dump`` text."""
    return _dump(path.read_text(), str(path))


@lru_cache(maxsize=256)
def _dump(source: str, filename: str) -> str:
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def override_scalars(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``--config`` overrides with the strings inside nested values parsed as YAML scalars.

    Snakemake parses a top-level ``--config key=4`` as a number, but the values inside
    ``--config 'finetune={lora: {r: 4}}'`` stay strings ('4'); this turns them into what the same
    text means in a config file (4, 0.5, true, null), leaving other strings as they are.
    """

    def parse(value: Any, nested: bool) -> Any:
        if isinstance(value, Mapping):
            return {k: parse(v, True) for k, v in value.items()}
        if isinstance(value, list):
            return [parse(v, True) for v in value]
        if nested and isinstance(value, str):
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            if parsed is None or isinstance(parsed, bool | int | float):
                return parsed
        return value

    return {key: parse(value, False) for key, value in overrides.items()}


def check_sizes(config: Mapping[str, Any], source: str = "config") -> None:
    """Sizes known from the config alone: split sizes, exemplars, and the fine-tuning set size
    against the pool (whether a sweep level can be filled also depends on measured knowledge, so
    that is checked again once the answers exist)."""
    questions = config["questions"]
    if questions["source"] == "synthetic":
        from mismatch.world import WorldSettings, validate_settings

        validate_settings(WorldSettings.from_config(questions["synthetic"]))
    exemplars, n_format = config["prompt"]["n_exemplars"], question_count(config, "format")
    if exemplars > n_format:
        raise InputError(
            f"{source}: prompt.n_exemplars",
            f"{exemplars} exemplars but the format split holds only {n_format} questions "
            f"({_split_size_key(config, 'format')}); lower prompt.n_exemplars",
        )
    size, n_pool = config["finetune_set_size"], question_count(config, "pool")
    if size is not None and size > n_pool:
        raise InputError(
            f"{source}: finetune_set_size",
            f"needs {size} examples but the pool holds only {n_pool} questions "
            f"({_split_size_key(config, 'pool')}); lower finetune_set_size or enlarge the pool",
        )


def _split_size_key(config: Mapping[str, Any], split: str) -> str:
    """Where a split's size comes from in the config, for error messages."""
    questions = config["questions"]
    if questions["source"] == "synthetic":
        synthetic = questions["synthetic"]
        return (
            f"questions.synthetic.split_entities.{split} = {synthetic['split_entities'][split]} "
            f"people x {len(synthetic['attributes'])} attributes"
        )
    if questions["source"] in ("triviaqa", "facts"):
        return f"questions.{questions['source']}.{split}_size"
    return f"questions.files.{split}"


def _package_imports(path: Path) -> Iterable[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mismatch"):
            if node.module == "mismatch":
                yield from (alias.name for alias in node.names)
            else:
                yield node.module.removeprefix("mismatch.")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mismatch."):
                    yield alias.name.removeprefix("mismatch.")


def model_job_resources(
    config: Mapping[str, Any], work: Mapping[str, float], models: Sequence[str], attempt: int
) -> dict[str, int]:
    """The resources of one job (one process) in which each of ``models`` does ``work`` (stage
    -> units; ``stage_units`` counts them): the summed work time with one start-up, the largest
    memory and GPU need (see ``mismatch.resources``)."""
    from mismatch.resources import memory_and_gpus, runtime_minutes, work_seconds

    vocab = config["questions"]["synthetic"]["vocab_size"]
    settings = config["resources"]
    seconds, needs = 0.0, []
    for model in models:
        spec = config["models"][model]
        params, dtype, gpus = estimated_params(spec, vocab), spec["dtype"], spec.get("gpus")
        for stage, units in work.items():
            seconds += work_seconds(stage, params, units, dtype, gpus, settings["rates"])
            needs.append(memory_and_gpus(stage, params, dtype, gpus))
    return {
        "mem_mb": max(n["mem_mb"] for n in needs),
        "gpu": max(n["gpu"] for n in needs),
        "runtime": runtime_minutes(seconds, attempt, settings["margin"], settings["min_runtime"]),
    }


def stage_units(
    config: Mapping[str, Any], stage: str, model: str, questions: int | None = None
) -> float:
    """Units of work of one job of ``stage`` on ``model``: questions answered (``answer``: the
    job's ``questions``; ``label``: the test split), fine-tuning examples (steps x batch size),
    or SliCK generations (``questions`` x exemplar sets x (1 + samples))."""
    if stage == "finetune":
        settings = finetune_settings(config, model)
        return settings["steps"] * settings["batch_size"]
    if stage == "label":
        return question_count(config, "test")
    if stage == "categories":
        slick = config["knowledge_categories"]
        return (questions or 0) * slick["n_exemplar_sets"] * (1 + slick["n_samples"])
    return questions or 0


def question_count(config: Mapping[str, Any], split: str) -> int:
    """How many questions a split will hold, known from the config alone (planning needs it)."""
    questions = config["questions"]
    source = questions["source"]
    if source == "synthetic":
        synthetic = questions["synthetic"]
        if split == "heldout":  # the exposure world asks every pool and test fact once more
            return question_count(config, "pool") + question_count(config, "test")
        return synthetic["split_entities"][split] * len(synthetic["attributes"])
    if source == "triviaqa":
        return questions["triviaqa"][f"{split}_size"]
    if source == "facts":
        return _fact_counts(json.dumps(questions["facts"], sort_keys=True))[split]
    import pyarrow.parquet as pq  # a user's file: its footer says how many rows it has

    path = questions["files"][split]
    if path.endswith(".parquet"):
        return pq.read_metadata(path).num_rows
    with open(path) as handle:
        return sum(1 for line in handle if line.strip())


@lru_cache(maxsize=8)
def _fact_counts(settings: str) -> dict[str, int]:
    """Questions per split of the facts source (split seed 0; other seeds differ by a cluster)."""
    from mismatch.fact_questions import fact_sets

    return {split: len(table) for split, table in fact_sets(json.loads(settings), 0).items()}


def answer_shards(config: Mapping[str, Any], split: str) -> int:
    """Number of answering jobs a split is cut into (``answering.questions_per_shard``)."""
    return _shard_count(question_count(config, split), config["answering"]["questions_per_shard"])


def category_shards(config: Mapping[str, Any], split: str) -> int:
    """Number of SliCK jobs a split is cut into: ``knowledge_categories.questions_per_shard``,
    or answering's when that is unset (null)."""
    size = config["knowledge_categories"].get("questions_per_shard")
    if size is None:
        return answer_shards(config, split)
    return _shard_count(question_count(config, split), size)


def _shard_count(n_questions: int, size: int) -> int:
    if size <= 0:
        return 1
    return max(1, -(-n_questions // size))
