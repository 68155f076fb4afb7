"""Settings derived from a validated config for one model, recipe or student: teachers, prompts,
answering and fine-tuning settings."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mismatch.config.sweeps import OTHER, SELF
from mismatch.errors import InputError
from mismatch.questions.sources import pretrained_world, question_source


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
    """The study's one definition of knowing (``knowledge.basis``, a ``mismatch.knowing.knows``
    definition; ``auto`` is truth in the synthetic world, measured elsewhere)."""
    basis = config["knowledge"]["basis"]
    if basis == "auto":
        return "truth" if pretrained_world(config) else "measured"
    return basis


def recipe_knowledge_rule(config: Mapping[str, Any], recipe: str) -> str:
    """The definition of knowing that picks recipe ``recipe``'s answered targets (whether its
    teacher knows a question): its own ``knowledge_rule``, ``measured`` for ``target: answer``
    (the teacher's words are taught only where they were graded correct), else the study's
    ``knowledge_basis``. Whether the student knows a question is always the study's."""
    spec = config["recipes"][recipe]
    rule = spec.get("knowledge_rule")
    if rule is not None:
        return rule
    if spec.get("target") == "answer":
        return "measured"
    return knowledge_basis(config)


def knowledge_definitions(config: Mapping[str, Any]) -> list[str]:
    """Every definition of knowing a study reads: its own and its recipes' (sorted)."""
    return sorted(
        {knowledge_basis(config)} | {recipe_knowledge_rule(config, r) for r in config["recipes"]}
    )


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
        **vocabulary_setting(config),
    }


def vocabulary_setting(config: Mapping[str, Any]) -> dict[str, Any]:
    """``{"vocabulary": ...}`` where answers are graded by ``contains`` against real facts (the
    package facts or the user's fact table: closed answer vocabularies,
    ``mismatch.questions.fact_sets.fact_vocabulary``), else nothing (other studies' settings,
    and so their jobs' parameters, are unchanged)."""
    if config["answering"]["grading"] != "contains" or "questions" not in config:
        return {}
    vocabulary = question_source(config).vocabulary(config["questions"])
    return {} if vocabulary is None else {"vocabulary": vocabulary}


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
