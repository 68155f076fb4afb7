"""Plan-time view of the study configuration: one-line validation errors and derived settings.

Imported by the Snakefile while planning, so it must stay light (no torch, no transformers).
"""

from __future__ import annotations

import ast
import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mismatch.errors import InputError

PACKAGE_DIR = Path(__file__).resolve().parent
SELF = "self"


def schema_error(config: Mapping[str, Any], schema_path: str | Path) -> str | None:
    """The most relevant JSON-schema violation of ``config`` as one line, or ``None``."""
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


def expand_sweeps(config: dict[str, Any]) -> None:
    """Add one recipe per level of each configured sweep to ``config["recipes"]``."""
    sweeps = config.get("sweeps", {})
    if "mismatch" in sweeps:
        sweep = sweeps["mismatch"]
        for level in sweep["levels"]:
            config["recipes"][f"mismatch_{level:.2f}"] = {
                "kind": "mismatch",
                "sweep": "mismatch",
                "teacher": sweep["teacher"],
                "level": level,
                "levels": list(sweep["levels"]),
                "abstention_share": sweep["abstention_share"],
            }
    if "abstention" in sweeps:
        levels = sweeps["abstention"]["levels"]
        for level in levels:
            config["recipes"][f"abstention_{level:.2f}"] = {
                "kind": "abstention",
                "sweep": "abstention",
                "teacher": SELF,
                "level": level,
                "levels": list(levels),
            }


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
        if spec["kind"] in ("mismatch", "abstention") and config["finetune_set_size"] is None:
            raise InputError(
                f"{source}: finetune_set_size",
                f"recipe {recipe!r} is a sweep level: set an example count",
            )
        if spec["kind"] == "mismatch" and ("level" not in spec or "abstention_share" not in spec):
            raise InputError(f"{source}: recipes.{recipe}", "needs level and abstention_share")
        if spec["kind"] in ("teacher", "mismatch", "random_idk", "filter_unknown"):
            if teacher is None:
                raise InputError(
                    f"{source}: recipes.{recipe}.teacher", f"required for kind {spec['kind']!r}"
                )
            if teacher != SELF and teacher not in models:
                raise InputError(
                    f"{source}: recipes.{recipe}.teacher",
                    f"{teacher!r} is not a configured model ({names}) nor 'self'",
                )
    primary = config.get("analysis", {}).get("primary")
    if primary is not None and primary not in config["recipes"]:
        raise InputError(
            f"{source}: analysis.primary",
            f"{primary!r} is not a configured recipe ({', '.join(config['recipes'])})",
        )
    synthetic = config["questions"]["source"] == "synthetic"
    for name, model in models.items():
        if synthetic and "pretrain" not in model:
            raise InputError(
                f"{source}: models.{name}",
                "the synthetic world needs models pretrained on it (give 'pretrain', not path/hub)",
            )
        if not synthetic and "pretrain" in model:
            raise InputError(
                f"{source}: models.{name}.pretrain",
                "only the synthetic question source can pretrain models",
            )
        if "path" in model:
            check_model_path(name, model["path"], source)
    if config["questions"]["source"] == "files":
        files = config["questions"].get("files", {})
        for split in ("pool", "test", "format"):
            if split not in files:
                raise InputError(
                    f"{source}: questions.files.{split}", "required when source is 'files'"
                )
            if not Path(files[split]).is_file():
                raise InputError(
                    f"{source}: questions.files.{split}", f"no such file {files[split]}"
                )


def check_model_path(name: str, path: str, source: str = "config") -> None:
    """A local model directory must exist and hold a Hugging Face config."""
    directory = Path(path)
    if not directory.is_dir():
        raise InputError(f"{source}: models.{name}.path", f"model directory {path} does not exist")
    if not (directory / "config.json").is_file():
        raise InputError(f"{source}: models.{name}.path", f"{path} has no config.json")


def teacher_of(config: Mapping[str, Any], recipe: str, student: str) -> str | None:
    """The model whose answers a recipe is built from (``None`` for recipes without one)."""
    teacher = config["recipes"][recipe].get("teacher")
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
    merged["dtype"] = config["models"][student].get("dtype", "auto")
    return merged


def answering_settings(config: Mapping[str, Any], model: str) -> dict[str, Any]:
    """Batch size, new-token budget, dtype and loading options for one model."""
    spec = config["models"][model]
    defaults = config["answering"]
    return {
        "batch_size": spec.get("batch_size", defaults["batch_size"]),
        "max_new_tokens": spec.get("max_new_tokens", defaults["max_new_tokens"]),
        "dtype": spec.get("dtype", "auto"),
        "device_map": spec.get("device_map"),
        "trust_remote_code": spec.get("trust_remote_code", False),
        "grading": defaults["grading"],
    }


def estimated_params(model: Mapping[str, Any], vocab_size: int) -> float:
    """Parameters of a model: declared ``params_b`` or, for pretrained ones, from its shape."""
    if "params_b" in model:
        return float(model["params_b"]) * 1e9
    if "pretrain" not in model:
        raise InputError("models", "a path or hub model must declare params_b")
    p = model["pretrain"]
    h, layers = p.get("hidden_size", 128), p.get("n_layers", 2)
    llama = p.get("architecture", "llama") == "llama"
    inner = p.get("intermediate_size") or (-(-8 * h // 3 // 32) * 32 if llama else 4 * h)
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
    """Source files of ``mismatch`` modules and everything in the package they import.

    Listed as inputs of the rules that use them, so a library change reruns exactly those stages
    (Snakemake's code trigger only sees the script file).
    """
    seen: set[str] = set()
    todo = [m.removeprefix("mismatch.") for m in modules]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_package_imports(PACKAGE_DIR / f"{name}.py"))
    return sorted(str(PACKAGE_DIR / f"{name}.py") for name in seen)


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


def model_job_resources(config: Mapping[str, Any], stage: str, model: str, attempt: int) -> dict:
    """The resources one job of ``stage`` on ``model`` asks for (see ``mismatch.resources``)."""
    from mismatch.resources import job_resources

    spec = config["models"][model]
    vocab = config["questions"]["synthetic"]["vocab_size"]
    return job_resources(
        stage, estimated_params(spec, vocab), spec.get("dtype", "auto"), spec.get("gpus"), attempt
    )


def question_count(config: Mapping[str, Any], split: str) -> int:
    """How many questions a split will hold, known from the config alone (planning needs it)."""
    questions = config["questions"]
    source = questions["source"]
    if source == "synthetic":
        synthetic = questions["synthetic"]
        return synthetic["split_entities"][split] * len(synthetic["attributes"])
    if source == "triviaqa":
        return questions["triviaqa"][f"{split}_size"]
    import pyarrow.parquet as pq  # a user's file: its footer says how many rows it has

    path = questions["files"][split]
    if path.endswith(".parquet"):
        return pq.read_metadata(path).num_rows
    with open(path) as handle:
        return sum(1 for line in handle if line.strip())


def answer_shards(config: Mapping[str, Any], split: str) -> int:
    """Number of answering jobs a split is cut into (``answering.questions_per_shard``)."""
    size = config["answering"]["questions_per_shard"]
    if size <= 0:
        return 1
    return max(1, -(-question_count(config, split) // size))
