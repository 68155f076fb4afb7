"""Fine-tuning sets ("recipes") built from answer tables.

Every recipe function returns a table with ``RECIPE_COLUMNS``: one row per pool question, sorted by
``question_id``; ``target`` is the answer to teach (``None`` = abstain). New recipe kinds are new
functions that start from :func:`pool_frame` and fill ``target`` / ``teacher_knows`` via
:func:`with_targets`, so every kind has the same schema and :func:`recipe_stats` applies to all;
``mismatch.recipes.kinds`` registers each kind and builds a config recipe.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from mismatch.config.sweeps import grid_recipes
from mismatch.errors import InputError
from mismatch.knowing.knows import per_question

ANSWER_TABLE_COLUMNS = ("question_id", "question", "answers", "prediction", "answer", "correct")
_REQUIRED_ANSWER_COLUMNS = ("question_id", "question", "answers", "knows")
RECIPE_COLUMNS = (
    "question_id",
    "question",
    "answers",
    "target",
    "abstain",
    "teacher_knows",
    "student_knows",
)


TARGETS = ("gold", "answer")  # what a teacher recipe teaches where the teacher knows


def pool_frame(student_pool: pd.DataFrame, *, name: str = "student_pool") -> pd.DataFrame:
    """The student's pool questions sorted by id, with ``student_knows`` (its ``knows`` column:
    the study's definition of knowing, ``mismatch.knowing.knows``)."""
    _check_answer_table(student_pool, name)
    pool = student_pool.sort_values("question_id", kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "question_id": pool["question_id"].astype(str),
            "question": pool["question"].astype(str),
            "answers": [list(map(str, a)) for a in pool["answers"]],
            "student_knows": pool["knows"].astype(bool),
        }
    )


def with_targets(
    pool: pd.DataFrame,
    answered: Sequence[bool],
    teacher_knows: Sequence[bool],
    words: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Complete a :func:`pool_frame`: where ``answered``, the gold ``answers[0]`` (or the
    teacher's own ``words``, one per pool row), else abstain."""
    answered = [bool(a) for a in answered]
    recipe = pool.copy()
    chosen = [a[0] for a in pool["answers"]] if words is None else list(words)
    targets = [t if keep else None for t, keep in zip(chosen, answered, strict=True)]
    recipe["target"] = pd.Series(targets, dtype=object)
    recipe["abstain"] = [not keep for keep in answered]
    recipe["teacher_knows"] = [bool(c) for c in teacher_knows]
    return recipe.loc[:, list(RECIPE_COLUMNS)]


def teacher_recipe(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    *,
    teacher_name: str = "teacher_pool",
    student_name: str = "student_pool",
    target: str = "gold",
) -> pd.DataFrame:
    """Gold answer where the teacher knows (its ``knows`` column), abstention elsewhere.

    ``teacher_recipe(student_pool, student_pool)`` is the ``own`` recipe. ``teacher_name`` and
    ``student_name`` (e.g. file paths) name the inputs in error messages. ``target="answer"``
    teaches the teacher's own extracted answer instead of the gold canonical one (the paper's
    data: what the teacher said, where it knows; the recipe then decides knowing by the graded
    answer, ``mismatch.config.settings.recipe_knowledge_rule``).
    """
    pool = pool_frame(student_pool, name=student_name)
    _check_answer_table(teacher_pool, teacher_name)
    teacher = teacher_pool.set_index(teacher_pool["question_id"].astype(str))
    missing = set(pool["question_id"]) ^ set(teacher.index)
    if missing:
        example = sorted(missing)[:3]
        raise InputError(
            teacher_name,
            f"covers different question ids than {student_name} "
            f"({len(missing)} differ, e.g. {example})",
        )
    teacher_knows = teacher.loc[pool["question_id"], "knows"].astype(bool).to_numpy()
    if target not in TARGETS:
        raise InputError(teacher_name, f"unknown target {target!r}; expected one of {TARGETS}")
    words = None
    if target == "answer":
        if "answer" not in teacher.columns:
            raise InputError(teacher_name, "target answer needs the answer table's answer column")
        words = teacher.loc[pool["question_id"], "answer"].astype(str).str.strip().tolist()
        rows = zip(pool["question_id"], words, teacher_knows, strict=True)
        empty = [q for q, w, c in rows if c and not w]
        if empty:
            raise InputError(teacher_name, f"empty answer where the teacher knows {empty[0]}")
    return with_targets(pool, teacher_knows, teacher_knows, words)


def gold_recipe(student_pool: pd.DataFrame, *, student_name: str = "student_pool") -> pd.DataFrame:
    """Gold answer for every pool question (no abstention)."""
    pool = pool_frame(student_pool, name=student_name)
    everything = [True] * len(pool)
    return with_targets(pool, everything, everything)


def recipe_stats(recipe: pd.DataFrame) -> dict[str, Any]:
    """Counts, abstention share, and mismatch fraction (answered targets the student gets wrong)."""
    missing = [c for c in RECIPE_COLUMNS if c not in recipe.columns]
    if missing:
        raise ValueError(f"not a recipe table: missing columns {missing}")
    n = len(recipe)
    abstain = recipe["abstain"].astype(bool)
    answered = ~abstain
    n_answered = int(answered.sum())
    n_mismatch = int((answered & ~recipe["student_knows"].astype(bool)).sum())
    return {
        "n_examples": n,
        "n_answered": n_answered,
        "n_abstain": int(abstain.sum()),
        "n_mismatch": n_mismatch,
        "abstention_share": float(abstain.sum()) / n if n else None,
        "mismatch_fraction": n_mismatch / n_answered if n_answered else None,
        "question_ids_sha256": question_ids_digest(recipe["question_id"]),
    }


def slick_known_answered(recipe: pd.DataFrame, categories: pd.DataFrame) -> int:
    """Answered targets of ``recipe`` whose question the student knows by SliCK (any category
    but Unknown, Gekhman et al.'s Known), from its pool ``categories``."""
    answered = recipe.loc[~recipe["abstain"].astype(bool), "question_id"]
    of = per_question(categories, "category", answered.to_frame(), "recipe", "SliCK category")
    return int((of != "Unknown").sum())


def question_ids_digest(question_ids: Sequence[str] | pd.Series) -> str:
    """sha256 of the sorted question ids (one per line): equal digests mean equal question sets."""
    joined = "\n".join(sorted(map(str, question_ids)))
    return hashlib.sha256(joined.encode()).hexdigest()


def _check_answer_table(table: pd.DataFrame, name: str) -> None:
    missing = [c for c in _REQUIRED_ANSWER_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(name, f"not an answer table with knows: missing columns {missing}")
    if table["question_id"].duplicated().any():
        raise InputError(name, "duplicate question_id values")


# --- controls that separate mismatch from abstention (all recipes share one example count) ---


class PoolTooSmall(InputError):
    """The pool cannot supply the examples a recipe needs at the configured example count."""


def _shuffled(ids: Iterable[str], seed: int | str, salt: str) -> list[str]:
    """``ids`` in a seeded order that depends only on the id set, the seed and ``salt``."""
    ordered = sorted(ids)
    random.Random(f"{salt}-{seed}").shuffle(ordered)
    return ordered


def _select(
    pool: pd.DataFrame,
    answered: Sequence[str],
    abstained: Sequence[str],
    teacher_knows: pd.Series,
) -> pd.DataFrame:
    """A recipe of exactly the ``answered`` (gold target) and ``abstained`` questions."""
    chosen = set(answered) | set(abstained)
    rows = pool[pool["question_id"].isin(chosen)].reset_index(drop=True)
    keep = rows["question_id"].isin(set(answered)).to_numpy()
    return with_targets(rows, keep, teacher_knows.loc[rows["question_id"]].to_numpy())


def _sizes(n: int, size: int | None, name: str) -> int:
    if size is None:
        return n
    if size > n:
        raise PoolTooSmall(name, f"needs {size} examples but the pool has only {n} questions")
    return size


def base_subset(pool: pd.DataFrame, size: int | None, seed: int | str, name: str) -> list[str]:
    """The pool questions every teacher-based recipe of a world uses (all, or a seeded sample)."""
    n = _sizes(len(pool), size, name)
    return _shuffled(pool["question_id"], seed, "subset")[:n]


def _teacher_knows(teacher_pool: pd.DataFrame, pool: pd.DataFrame, name: str) -> pd.Series:
    _check_answer_table(teacher_pool, name)
    teacher = teacher_pool.set_index(teacher_pool["question_id"].astype(str))["knows"]
    missing = set(pool["question_id"]) ^ set(teacher.index)
    if missing:
        raise InputError(
            name,
            f"covers different question ids than the student's pool "
            f"({len(missing)} differ, e.g. {sorted(missing)[:3]})",
        )
    return teacher.astype(bool)


def mismatch_recipe(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    *,
    level: float,
    abstention_share: float,
    size: int,
    seed: int | str,
    levels: Sequence[float] = (),
    name: str = "recipe",
) -> pd.DataFrame:
    """Mismatch fraction ``level`` at a fixed abstention share.

    Abstentions go to questions drawn at random (seeded) from all those the student does not
    know, whether the teacher knows them or not, the same questions at every level of a seed
    run (so the level-0 set does not depend on where the teacher's knowledge ends); answered
    targets mix questions the student knows with questions only the teacher knows,
    ``round(level * answered)`` of the latter.
    """
    pool = pool_frame(student_pool)
    teacher = _teacher_knows(teacher_pool, pool, name)
    plans = {
        lv: _mismatch_plan(pool, teacher, lv, abstention_share, size, seed)
        for lv in sorted({*levels, level})
    }
    short = {lv: plan for lv, plan in plans.items() if plan["missing"]}
    if short:
        got = ", ".join(f"level {lv:.2f}: {p['supplied']}/{size}" for lv, p in plans.items())
        raise PoolTooSmall(
            name,
            f"the pool cannot supply {size} examples at abstention share "
            f"{abstention_share:.2f} ({got}); lower finetune_set_size or "
            "enlarge the pool",
        )
    plan = plans[level]
    return _select(pool, plan["answered"], plan["abstained"], teacher)


def _mismatch_plan(
    pool: pd.DataFrame,
    teacher: pd.Series,
    level: float,
    abstention_share: float,
    size: int,
    seed: int | str,
) -> dict[str, Any]:
    """A mismatch-sweep level is a replace-design grid cell at a numeric abstention share whose
    abstentions are not spread over persons (``_grid_plan``)."""
    cell = {"level": level, "abstention": abstention_share, "design": "replace"}
    plan = _grid_plan(pool, teacher, cell, size, seed, persons=None)
    supplied = plan["wanted"] - sum(plan["short"].values())
    return {**plan, "supplied": supplied, "missing": bool(plan["short"])}


def abstention_recipe(
    student_pool: pd.DataFrame,
    *,
    level: float,
    size: int,
    seed: int | str,
    levels: Sequence[float] = (),
    name: str = "recipe",
) -> pd.DataFrame:
    """Abstention share ``level`` with zero mismatch: only questions the student knows are
    answered; abstentions go to questions it does not know (nested across levels)."""
    pool = pool_frame(student_pool)
    knows = pool.set_index("question_id")["student_knows"]
    known = _shuffled([q for q in knows.index if knows[q]], seed, "known")
    unknown = _shuffled([q for q in knows.index if not knows[q]], seed, "idk")
    needs = {lv: (size - round(lv * size), round(lv * size)) for lv in sorted({*levels, level})}
    if any(a > len(known) or i > len(unknown) for a, i in needs.values()):
        got = ", ".join(
            f"level {lv:.2f}: {min(a, len(known)) + min(i, len(unknown))}/{size}"
            for lv, (a, i) in needs.items()
        )
        raise PoolTooSmall(
            name,
            f"the pool cannot supply {size} examples with zero mismatch "
            f"({got}; the student knows {len(known)} pool questions)",
        )
    n_answered, n_idk = needs[level]
    return _select(pool, known[:n_answered], unknown[:n_idk], knows)


def spread_over_persons(
    ids: Iterable[str], persons: Mapping[str, str] | None, seed: int | str, salt: str
) -> list[str]:
    """``ids`` in a seeded order that takes one question from each person in turn (persons in
    random order, each person's questions in random order), so any prefix spreads over as many
    persons as it can; a plain seeded shuffle when ``persons`` is ``None``."""
    ordered = _shuffled(ids, seed, salt)
    if persons is None:
        return ordered
    queues: dict[str, list[str]] = {}
    for question in ordered:
        queues.setdefault(str(persons[question]), []).append(question)
    people = _shuffled(queues, seed, f"{salt}-persons")
    rounds = max(len(q) for q in queues.values()) if queues else 0
    return [queues[p][i] for i in range(rounds) for p in people if i < len(queues[p])]


def grid_abstentions(
    pool: pd.DataFrame,
    teacher: pd.Series,
    abstention: float | str,
    size: int,
    seed: int | str,
) -> int:
    """How many "I don't know" targets a grid cell has: ``round(abstention * size)``, or for
    ``teacher`` / ``self`` as many as that model gets wrong on the seed run's subset of the pool
    (the subset the teacher and own recipes of the run use), so the grid meets those recipes."""
    if not isinstance(abstention, str):
        return round(abstention * size)
    subset = base_subset(pool, size, seed, "grid")
    knows = teacher if abstention == "teacher" else pool.set_index("question_id")["student_knows"]
    return int((~knows.loc[subset].astype(bool)).sum())


def _grid_plan(
    pool: pd.DataFrame,
    teacher: pd.Series,
    cell: Mapping[str, Any],
    size: int,
    seed: int | str,
    persons: Mapping[str, str] | None,
) -> dict[str, Any]:
    knows = pool.set_index("question_id")["student_knows"].astype(bool)
    unknown = [q for q in knows.index if not knows[q]]
    n_idk = grid_abstentions(pool, teacher, cell["abstention"], size, seed)
    abstained = spread_over_persons(unknown, persons, seed, "idk")[:n_idk]
    n_known = size - n_idk
    level = float(cell["level"])
    if cell["design"] == "add":
        n_mismatch = round(level / (1 - level) * n_known)
    else:
        n_mismatch = round(level * n_known)
        n_known -= n_mismatch
    taken = set(abstained)
    teacher_only = _shuffled(
        [q for q in unknown if teacher[q] and q not in taken], seed, "mismatch"
    )[:n_mismatch]
    known = _shuffled([q for q in knows.index if knows[q]], seed, "known")[:n_known]
    return {
        "answered": known + teacher_only,
        "abstained": abstained,
        "wanted": n_idk + n_known + n_mismatch,
        "short": {
            what: n
            for what, n in (
                ("abstentions", n_idk - len(abstained)),
                ("known answers", n_known - len(known)),
                ("teacher-only answers", n_mismatch - len(teacher_only)),
            )
            if n > 0
        },
    }


def grid_recipe(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    *,
    cell: Mapping[str, Any],
    size: int,
    seed: int | str,
    persons: Mapping[str, str] | None = None,
    name: str = "recipe",
) -> pd.DataFrame:
    """One cell of the mismatch x abstention grid (``cell``: level, abstention, design).

    Abstentions: the first n of the student's unknown pool questions in a seeded order spread
    over ``persons`` (question id -> person; ``None``: no clusters), so every cell of one
    abstention level abstains on the same questions within a seed run. Answered targets: known
    questions (a seeded order shared by every cell, so lower counts are prefixes) and
    teacher-only questions (idem). ``replace``: ``size`` examples, ``round(level * answered)``
    of them teacher-only. ``add``: the level-0 set plus ``round(level / (1 - level) * known)``
    teacher-only answers, so the mismatch fraction is ``level`` and nothing known is removed.
    """
    pool = pool_frame(student_pool)
    teacher = _teacher_knows(teacher_pool, pool, name)
    plan = _grid_plan(pool, teacher, cell, size, seed, persons)
    if plan["short"]:
        raise PoolTooSmall(name, f"the pool cannot supply {_shortfall(cell, plan)}; {_ADVICE}")
    return _select(pool, plan["answered"], plan["abstained"], teacher)


_ADVICE = "lower finetune_set_size or enlarge the pool"


def _shortfall(cell: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    """\"the 100 examples of mismatch 0.00, abstention 0.1, replace (42 known answers short)\"."""
    missing = ", ".join(f"{n} {what}" for what, n in plan["short"].items())
    return (
        f"the {plan['wanted']} examples of mismatch {cell['level']:.2f}, abstention "
        f"{cell['abstention']}, {cell['design']} ({missing} short)"
    )


def check_grid_fill(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    cells: Mapping[str, Mapping[str, Any]],
    *,
    size: int,
    seed: int | str,
    persons: Mapping[str, str] | None = None,
    name: str = "sweeps.grid",
) -> None:
    """Raise ``PoolTooSmall`` naming every cell of ``cells`` (recipe name -> cell) the pool
    cannot fill, with what each is short of."""
    pool = pool_frame(student_pool)
    teacher = _teacher_knows(teacher_pool, pool, name)
    failing = []
    for recipe, cell in cells.items():
        plan = _grid_plan(pool, teacher, cell, size, seed, persons)
        if plan["short"]:
            failing.append(f"{recipe}: {_shortfall(cell, plan)}")
    if failing:
        raise PoolTooSmall(
            name,
            f"the pool cannot fill {len(failing)} of {len(cells)} cells: "
            f"{'; '.join(failing)}; {_ADVICE}",
        )


def _teacher_subset(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    size: int | None,
    seed: int | str,
    name: str,
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """The student's pool, whether the teacher knows each of its questions, and the shared
    subset of the pool."""
    pool = pool_frame(student_pool)
    return pool, _teacher_knows(teacher_pool, pool, name), base_subset(pool, size, seed, name)


def random_idk_recipe(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    *,
    size: int | None,
    seed: int | str,
    name: str = "recipe",
) -> pd.DataFrame:
    """The teacher's abstention count placed on random questions (after Kang et al. 2024)."""
    pool, teacher, subset = _teacher_subset(teacher_pool, student_pool, size, seed, name)
    n_idk = int((~teacher.loc[subset]).sum())
    abstained = _shuffled(subset, seed, "random-idk")[:n_idk]
    answered = [q for q in subset if q not in set(abstained)]
    return _select(pool, answered, abstained, teacher)


def filter_unknown_recipe(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    *,
    size: int | None,
    seed: int | str,
    name: str = "recipe",
) -> pd.DataFrame:
    """The teacher's recipe without its abstentions, topped up with other questions the teacher
    knows to the same example count."""
    pool, teacher, subset = _teacher_subset(teacher_pool, student_pool, size, seed, name)
    kept = [q for q in subset if teacher[q]]
    rest = _shuffled(
        [q for q in teacher.index if teacher[q] and q not in set(subset)], seed, "top-up"
    )
    needed = len(subset) - len(kept)
    if needed > len(rest):
        raise PoolTooSmall(
            name,
            f"the teacher knows only {len(kept) + len(rest)} pool "
            f"questions; {len(subset)} are needed",
        )
    return _select(pool, kept + rest[:needed], [], teacher)


def category_recipe(
    student_pool: pd.DataFrame,
    categories: pd.DataFrame,
    category: str,
    *,
    size: int,
    seed: int | str,
    name: str = "recipe",
) -> pd.DataFrame:
    """Gekhman et al.'s single-category set: ``size`` pool questions of one SliCK ``category``
    of the student (``categories``: its pool categories), a seeded sample, every target the gold
    answer; ``student_knows`` as the study's definition of knowing decided it (``student_pool``)."""
    pool = pool_frame(student_pool, name=name)
    of = per_question(categories, "category", pool, name, "SliCK category")
    members = pool.loc[(of == category).to_numpy(), "question_id"]
    if len(members) < size:
        raise PoolTooSmall(
            name,
            f"needs {size} pool questions the student knows as {category} but has "
            f"{len(members)}; lower the recipe's size",
        )
    chosen = _shuffled(members, seed, f"category-{category}")[:size]
    return _select(pool, chosen, [], pool.set_index("question_id")["student_knows"])


def check_sweep_fill(
    sweeps: Mapping[str, Any],
    *,
    pools: Mapping[str, pd.DataFrame],
    student: str,
    size: int,
    seed: int | str,
    persons: Mapping[str, str] | None = None,
    where: str = "",
) -> dict[str, list[Any]]:
    """Check that every level of every configured sweep can be filled with ``size`` examples.

    ``pools`` maps model names to their pool answers (``student`` among them). Raises
    ``PoolTooSmall`` naming the sweep and what each of its levels could get; returns the checked
    levels per sweep. Run once per world and student, so no level's job carries the level list.
    """
    checked: dict[str, list[Any]] = {}
    if "mismatch" in sweeps:
        sweep = sweeps["mismatch"]
        teacher = student if sweep["teacher"] == "self" else sweep["teacher"]
        levels = list(sweep["levels"])
        mismatch_recipe(
            pools[teacher],
            pools[student],
            level=levels[0],
            abstention_share=sweep["abstention_share"],
            size=size,
            seed=seed,
            levels=levels,
            name=f"sweeps.mismatch{where}",
        )
        checked["mismatch"] = levels
    if "abstention" in sweeps:
        levels = list(sweeps["abstention"]["levels"])
        abstention_recipe(
            pools[student],
            level=levels[0],
            size=size,
            seed=seed,
            levels=levels,
            name=f"sweeps.abstention{where}",
        )
        checked["abstention"] = levels
    if "grid" in sweeps:
        teacher = student if sweeps["grid"]["teacher"] == "self" else sweeps["grid"]["teacher"]
        cells = grid_recipes(sweeps["grid"])
        check_grid_fill(
            pools[teacher],
            pools[student],
            cells,
            size=size,
            seed=seed,
            persons=persons,
            name=f"sweeps.grid{where}",
        )
        checked["grid"] = list(cells)
    return checked


# --- one set per fine-tuning seed ---


def set_seed(world_seed: int, ft_seed: int) -> str:
    """The seed that draws the fine-tuning set of one (world, fine-tuning seed): every recipe of
    a seed run shares it (so recipes stay paired within the run), and each seed run draws its
    own subset of the pool and its own sweep placements."""
    return f"world {world_seed} seed {ft_seed}"


def seed_set(sets: pd.DataFrame, ft_seed: int, name: str = "recipe") -> pd.DataFrame:
    """The fine-tuning set of one seed run from a ``build_seed_sets`` table."""
    rows = sets[sets["ft_seed"] == int(ft_seed)]
    if rows.empty:
        raise InputError(name, f"holds no fine-tuning set for seed {ft_seed}")
    return rows.drop(columns="ft_seed").reset_index(drop=True)
