"""What the schema cannot check: names that must refer to each other, local paths, and sizes known
from the config alone; one line naming the file and key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mismatch.config.settings import recipe_size
from mismatch.config.sweeps import OTHER, SELF
from mismatch.errors import InputError
from mismatch.models.sources import source_of
from mismatch.questions.sources import (
    pretrained_world,
    question_count,
    question_source,
    split_size_key,
)
from mismatch.recipes.kinds import recipe_kind


def check_config(config: Mapping[str, Any], source: str = "config") -> None:
    """Check what the schema cannot: names that must refer to each other, and local paths."""
    questions = question_source(config, source)  # an unregistered source stops here
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
    _check_definitions(config, source)
    answering = config["answering"]
    if answering["questions_per_shard"] > 0 and answering["job_per"] != "split":
        raise InputError(
            f"{source}: answering.questions_per_shard",
            f"shards need answering.job_per: split (it is {answering['job_per']!r})",
        )
    world = pretrained_world(config)  # the synthetic world's "slice" or "exposure", else None
    synthetic, exposure = world is not None, world == "exposure"
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
    _check_prompt_and_shapes(config, source)
    questions.check(config["questions"], f"{source}: questions")


def _check_prompt_and_shapes(config: Mapping[str, Any], source: str) -> None:
    """Each prompt template holds its placeholder; a pretrained model's heads divide its width."""
    for key, placeholder in (("question_template", "{question}"), ("answer_template", "{answer}")):
        if placeholder not in config["prompt"][key]:
            raise InputError(
                f"{source}: prompt.{key}",
                f"{config['prompt'][key]!r} has no {placeholder}: put it where the text goes",
            )
    for name, model in config["models"].items():
        shape = model.get("pretrain")
        if not isinstance(shape, Mapping) or "hidden_size" not in shape:
            continue
        if shape["hidden_size"] % shape["n_heads"]:
            raise InputError(
                f"{source}: models.{name}.pretrain.n_heads",
                f"{shape['n_heads']} heads do not divide hidden_size {shape['hidden_size']}: "
                "pick a divisor of it",
            )


def check_sizes(config: Mapping[str, Any], source: str = "config") -> None:
    """Sizes known from the config alone: split sizes, exemplars, and the fine-tuning set size
    against the pool (whether a sweep level can be filled also depends on measured knowledge, so
    that is checked again once the answers exist)."""
    question_source(config, source).check_sizes(config["questions"])
    exemplars, n_format = config["prompt"]["n_exemplars"], question_count(config, "format")
    if exemplars > n_format:
        raise InputError(
            f"{source}: prompt.n_exemplars",
            f"{exemplars} exemplars but the format split holds only {n_format} questions "
            f"({split_size_key(config, 'format')}); lower prompt.n_exemplars",
        )
    size, n_pool = config["finetune_set_size"], question_count(config, "pool")
    if size is not None and size > n_pool:
        raise InputError(
            f"{source}: finetune_set_size",
            f"needs {size} examples but the pool holds only {n_pool} questions "
            f"({split_size_key(config, 'pool')}); lower finetune_set_size or enlarge the pool",
        )


def _check_definitions(config: Mapping[str, Any], source: str) -> None:
    """Each definition of knowing the study or a recipe names has what decides it: truth the
    synthetic world, slick the knowledge categories."""
    keys = [("knowledge.basis", config["knowledge"]["basis"])] + [
        (f"recipes.{name}.knowledge_rule", spec["knowledge_rule"])
        for name, spec in config["recipes"].items()
        if "knowledge_rule" in spec
    ]
    for key, definition in keys:
        if definition == "truth" and pretrained_world(config) is None:
            raise InputError(
                f"{source}: {key}",
                "truth needs the synthetic world's ground truth (use measured, or auto)",
            )
        if definition == "slick" and not config["knowledge_categories"]["enabled"]:
            raise InputError(
                f"{source}: {key}",
                "slick needs the SliCK categories: set knowledge_categories.enabled: true",
            )
