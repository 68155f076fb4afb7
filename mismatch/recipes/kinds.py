"""The recipe kinds: one registry entry per way of building a fine-tuning set.

A kind is declared the way lm-evaluation-harness declares a task: its name (the config's
``recipes.<name>.kind``), what it reads (a teacher's pool answers, the student's SliCK
categories, an example count, spec keys), how it builds the targets (``build``), and what it holds
fixed against the student's own recipe (reported beside every control). Adding a kind is one
``RecipeKind`` entry, its build function and its test (docs/design.md#adding-a-recipe-kind);
config checks, rules and rendering read the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mismatch.errors import InputError
from mismatch.recipes.sets import (
    abstention_recipe,
    base_subset,
    category_recipe,
    filter_unknown_recipe,
    gold_recipe,
    grid_recipe,
    mismatch_recipe,
    pool_frame,
    random_idk_recipe,
    recipe_stats,
    set_seed,
    slick_known_answered,
    teacher_recipe,
)


@dataclass(frozen=True)
class RecipeInputs:
    """What a build function may read: the spec, the pools' answer tables (``knows``: the model
    knows the question, ``mismatch.knowing.knows``), the example count, the seed, and the optional
    extras."""

    spec: Mapping[str, Any]
    teacher_pool: pd.DataFrame
    student_pool: pd.DataFrame
    size: int | None
    seed: int | str
    name: str
    persons: Mapping[str, str] | None = None
    teacher_name: str = "teacher_pool"
    student_name: str = "student_pool"
    student_categories: pd.DataFrame | None = None

    def shared_subset(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table``'s rows on the seeded subset of the pool every such recipe of a seed run
        shares (the whole pool without a size)."""
        pool = pool_frame(self.student_pool, name=self.student_name)
        subset = set(base_subset(pool, self.size, self.seed, self.name))
        return table[table["question_id"].isin(subset)].reset_index(drop=True)


@dataclass(frozen=True)
class RecipeKind:
    """One way of building a fine-tuning set."""

    name: str
    description: str
    holds_fixed: str  # against the student's own recipe, in words
    build: Callable[[RecipeInputs], pd.DataFrame]
    needs_teacher: bool = False  # reads recipes.<name>.teacher's pool answers
    needs_size: bool = False  # needs an example count (finetune_set_size or the recipe's size)
    needs_categories: bool = False  # reads the student's pool SliCK categories
    required_keys: Sequence[str] = ()  # spec keys besides kind


def _teacher(inputs: RecipeInputs) -> pd.DataFrame:
    full = teacher_recipe(
        inputs.teacher_pool,
        inputs.student_pool,
        teacher_name=inputs.teacher_name,
        student_name=inputs.student_name,
        target=inputs.spec.get("target", "gold"),
    )
    return inputs.shared_subset(full)


def _gold(inputs: RecipeInputs) -> pd.DataFrame:
    return inputs.shared_subset(gold_recipe(inputs.student_pool, student_name=inputs.student_name))


def _grid(inputs: RecipeInputs) -> pd.DataFrame:
    return grid_recipe(
        inputs.teacher_pool,
        inputs.student_pool,
        cell=inputs.spec,
        size=inputs.size,
        seed=inputs.seed,
        persons=inputs.persons,
        name=inputs.name,
    )


def _mismatch(inputs: RecipeInputs) -> pd.DataFrame:
    return mismatch_recipe(
        inputs.teacher_pool,
        inputs.student_pool,
        level=inputs.spec["level"],
        abstention_share=inputs.spec["abstention_share"],
        size=inputs.size,
        seed=inputs.seed,
        levels=inputs.spec.get("levels", ()),
        name=inputs.name,
    )


def _abstention(inputs: RecipeInputs) -> pd.DataFrame:
    return abstention_recipe(
        inputs.student_pool,
        level=inputs.spec["level"],
        size=inputs.size,
        seed=inputs.seed,
        levels=inputs.spec.get("levels", ()),
        name=inputs.name,
    )


def _teacher_subset(builder: Callable[..., pd.DataFrame]) -> Callable[[RecipeInputs], pd.DataFrame]:
    """A build function for a control built from the teacher's answers on the shared subset
    (``random_idk_recipe``, ``filter_unknown_recipe``)."""

    def build(inputs: RecipeInputs) -> pd.DataFrame:
        return builder(
            inputs.teacher_pool,
            inputs.student_pool,
            size=inputs.size,
            seed=inputs.seed,
            name=inputs.name,
        )

    return build


def _category(inputs: RecipeInputs) -> pd.DataFrame:
    if inputs.student_categories is None:
        raise InputError(inputs.name, "a category set needs the student's pool categories")
    return category_recipe(
        inputs.student_pool,
        inputs.student_categories,
        inputs.spec["category"],
        size=inputs.size,
        seed=inputs.seed,
        name=inputs.name,
    )


KINDS: dict[str, RecipeKind] = {}


def register(kind: RecipeKind) -> RecipeKind:
    """Add ``kind`` to the registry (a name already taken is an error)."""
    if kind.name in KINDS:
        raise ValueError(f"recipe kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


for _kind in (
    RecipeKind(
        "teacher",
        "a model's graded pool answers: the gold answer (or its words) where it answered "
        'correctly, "I don\'t know" elsewhere (teacher: self is the own recipe)',
        "the questions (the seed run's shared subset of the pool)",
        _teacher,
        needs_teacher=True,
    ),
    RecipeKind(
        "gold",
        'the gold answer for every question: no "I don\'t know"',
        "the questions; removes every abstention target",
        _gold,
    ),
    RecipeKind(
        "random_idk",
        "the teacher's number of \"I don't know\" targets on random questions, gold elsewhere "
        "(after Kang et al. 2024)",
        "the questions and the teacher's abstention count; removes the link between a target "
        "and what the student knows",
        _teacher_subset(random_idk_recipe),
        needs_teacher=True,
    ),
    RecipeKind(
        "filter_unknown",
        "the teacher's recipe without its abstentions, topped up with other questions the "
        "teacher knows",
        "the example count; removes the abstention targets",
        _teacher_subset(filter_unknown_recipe),
        needs_teacher=True,
    ),
    RecipeKind(
        "mismatch",
        "one level of the mismatch sweep: a share of answered targets the student does not know",
        "the example count and the abstention share",
        _mismatch,
        needs_teacher=True,
        needs_size=True,
        required_keys=("level", "abstention_share"),
    ),
    RecipeKind(
        "abstention",
        'one level of the abstention sweep: a share of "I don\'t know" targets, no mismatch',
        "the example count; no mismatched target",
        _abstention,
        needs_size=True,
        required_keys=("level",),
    ),
    RecipeKind(
        "grid",
        "one cell of the mismatch x abstention grid",
        "the example count (cells differ in mismatched and abstention targets only)",
        _grid,
        needs_teacher=True,
        needs_size=True,
    ),
    RecipeKind(
        "category",
        "Gekhman et al.'s single-category set: questions of one SliCK category of the student, "
        "gold targets",
        "the example count and gold targets",
        _category,
        needs_size=True,
        needs_categories=True,
        required_keys=("category",),
    ),
):
    register(_kind)


def controls_table(recipes: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Each configured recipe: its kind, what the kind builds and what it holds fixed against
    the student's own recipe (the report states it beside the fine-tuning sets)."""
    rows = [
        {
            "recipe": name,
            "kind": spec["kind"],
            "builds": KINDS[spec["kind"]].description,
            "holds_fixed": KINDS[spec["kind"]].holds_fixed,
        }
        for name, spec in recipes.items()
        if spec.get("kind") in KINDS
    ]
    return pd.DataFrame(rows, columns=["recipe", "kind", "builds", "holds_fixed"])


def recipe_kind(spec: Mapping[str, Any], where: str = "recipe") -> RecipeKind:
    """The registered kind of a recipe spec; one line naming the known kinds otherwise."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise InputError(
            f"{where}.kind", f"unknown recipe kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    return KINDS[kind]


def build_recipe(
    spec: dict[str, Any],
    *,
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    size: int | None = None,
    seed: int | str = 0,
    persons: Mapping[str, str] | None = None,
    name: str = "recipe",
    teacher_name: str = "teacher_pool",
    student_name: str = "student_pool",
    student_categories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The fine-tuning set the config recipe ``spec`` describes, with ``size`` examples
    (``None``: the whole pool; kinds with ``needs_size`` need one). ``persons`` (question id ->
    person) spreads the grid's abstentions over persons; ``student_categories`` (the student's
    pool SliCK categories) feed the category sets."""
    kind = recipe_kind(spec, name)
    if kind.needs_size and size is None:
        raise InputError(name, f"a {kind.name} recipe needs finetune_set_size or a size")
    inputs = RecipeInputs(
        spec=spec,
        teacher_pool=teacher_pool,
        student_pool=student_pool,
        size=size,
        seed=seed,
        name=name,
        persons=persons,
        teacher_name=teacher_name,
        student_name=student_name,
        student_categories=student_categories,
    )
    return kind.build(inputs)


def build_seed_sets(
    spec: dict[str, Any],
    *,
    world_seed: int,
    ft_seeds: Sequence[int],
    **kwargs: Any,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The recipe's fine-tuning set for each of ``ft_seeds`` (``build_recipe`` with
    ``set_seed``), as one table with an ``ft_seed`` column, and each set's ``recipe_stats``
    (with ``student_categories``, also its answered targets the student knows by SliCK)."""
    tables, stats = [], []
    categories = kwargs.get("student_categories")
    for ft_seed in ft_seeds:
        table = build_recipe(spec, seed=set_seed(world_seed, ft_seed), **kwargs)
        stats.append({"ft_seed": int(ft_seed), **recipe_stats(table)})
        if categories is not None:
            stats[-1]["n_answered_slick_known"] = slick_known_answered(table, categories)
        tables.append(table.assign(ft_seed=int(ft_seed)))
    return pd.concat(tables, ignore_index=True), stats
