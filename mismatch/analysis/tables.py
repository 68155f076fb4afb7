"""Every number of the study, as tables: outcome rates, contrasts at the person level, per-world
estimates, robustness to grading and scoring rules, dose-response slopes and loss curves.

Figures and markdown are rendered from these tables only (``mismatch.report.figures``,
``mismatch.report.rendering``). The statistical methods are described in docs/statistics.md; in
short:

* intervals "these worlds": ``mismatch.analysis.clustered.resample`` (persons x seed runs, worlds
fixed);
* the cluster-level test: sign flips of the per-person differences averaged over seed runs;
* "new worlds": random-effects meta-analysis of the per-world differences (Hartung-Knapp);
* one primary contrast (the larger teacher against the student's own answers), the secondary
  contrasts Holm-corrected;
* dose-response slopes: GEE (linear probability model, clusters = persons, independence working
  correlation, robust standard errors), which has no separation problem at rates near 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from mismatch.analysis.clustered import (
    Estimate,
    MetaResult,
    Resamples,
    arm_difference,
    arm_icc,
    build_design,
    effective_mdd,
    holm,
    percentile_interval,
    person_rates,
    pool_worlds,
    ratio,
    resample,
    sign_flip_test,
)
from mismatch.analysis.gap import gap_tables
from mismatch.analysis.gathering import attach_persons
from mismatch.analysis.gekhman import gekhman_fit, set_shares
from mismatch.analysis.grid_counts import grid_counts, grid_interactions
from mismatch.analysis.outcomes import (
    PERSON,
    RATE_METRICS,
    design_columns,
    design_table,
    summarize,
    with_indicators,
    wrong_by_knowledge,
)
from mismatch.analysis.relations import effect_by_relation, empty_effects, relation_columns
from mismatch.analysis.stats import bootstrap_difference, paired_mcnemar
from mismatch.analysis.stopping import training_length
from mismatch.analysis.sweep_contrasts import dose_response, sweep_levels, sweep_series
from mismatch.answers.grading import label_answer

GRADING_RULES = ("exact", "contains")
THRESHOLDS = (0.5, 0.75, 0.9)


@dataclass(frozen=True)
class AnalysisSettings:
    """What the analysis needs from the config (no defaults for config keys: the schema holds
    them)."""

    recipes: Mapping[str, Mapping[str, Any]]
    grading: str  # answering.grading
    primary: str | None  # analysis.primary
    n_boot: int  # summary.n_boot
    n_flips: int  # analysis.n_flips
    seed: int = 0  # of the resampling streams (not a config key: results are reproducible)
    confidence: float = 0.95


@dataclass(frozen=True)
class Contrast:
    """Treatment minus control wrong rate for one student; ``role`` primary or secondary."""

    role: str
    student: str
    treatment: str
    control: str

    @property
    def name(self) -> str:
        return f"{self.treatment} - {self.control}"


def contrasts_of(
    recipes: Mapping[str, Mapping[str, Any]], students: Sequence[str], primary: str | None = None
) -> list[Contrast]:
    """Every recipe against the student's own answers (``teacher: self``; a recipe that stops
    early against the first own-data recipe that also stops early, if any). The primary contrast
    is ``primary`` (default: the first recipe taught by another model, the paper's larger
    teacher) for the first student; all others are secondary."""
    controls = [
        n for n, s in recipes.items() if s["kind"] == "teacher" and s.get("teacher") == "self"
    ]
    if not controls:
        return []
    control = controls[0]
    if primary is None:
        primary = next(
            (
                n
                for n, s in recipes.items()
                if s["kind"] == "teacher" and s.get("teacher") not in (None, "self")
            ),
            None,
        )
    elif primary not in recipes or primary == control:
        raise ValueError(f"analysis.primary {primary!r} is not a recipe other than {control!r}")
    early_control = next((n for n in controls if recipes[n].get("stopping") == "early"), None)
    contrasts = []
    for i, student in enumerate(students):
        for name in recipes:
            if name == control:
                continue
            role = "primary" if (i == 0 and name == primary) else "secondary"
            early = recipes[name].get("stopping") == "early" and name != early_control
            reference = early_control if early and early_control else control
            contrasts.append(Contrast(role, student, name, reference))
    return sorted(contrasts, key=lambda c: c.role != "primary")


# --- robustness: grading rules and scoring rules that penalise guessing ---


def regrade(labels: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """``labels`` plus ``label_exact`` and ``label_contains``: each answer graded again under
    both rules (``mismatch.answers.grading.label_answer``) against the test questions' gold
    aliases."""
    aliases = questions.set_index(["world_seed", "question_id"])["answers"]
    keys = pd.MultiIndex.from_frame(labels[["world_seed", "question_id"]])
    gold = aliases.reindex(keys).to_numpy()
    out = labels.copy()
    well_formed = labels["well_formed"].astype(bool)
    for rule in GRADING_RULES:
        out[f"label_{rule}"] = [
            label_answer(answer, golds, rule, well_formed=ok)
            for answer, golds, ok in zip(labels["answer"], gold, well_formed, strict=True)
        ]
    return out


def _rule_indicators(data: pd.DataFrame) -> list[str]:
    columns = []
    for rule in GRADING_RULES:
        for outcome in ("correct", "wrong"):
            name = f"{outcome}_{rule}"
            data[name] = (data[f"label_{rule}"] == outcome).astype(float)
            columns.append(name)
    data["wrong_or_malformed"] = data["wrong"] + data["malformed"]
    columns.append("wrong_or_malformed")
    return columns


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _f_score(s: Mapping[str, np.ndarray]) -> np.ndarray:
    correct = _div(s["correct"], s["n"])
    given_attempted = _div(s["correct"], s["answered"])
    return _div(2 * correct * given_attempted, correct + given_attempted)


def _threshold_score(t: float) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def score(s: Mapping[str, np.ndarray]) -> np.ndarray:
        return _div(s["correct"] - s["wrong"] * t / (1 - t), s["n"])

    return score


def robustness_rules() -> dict[str, tuple[Callable, bool]]:
    """Rule name -> (metric of column sums, whether a higher value is worse)."""
    rules: dict[str, tuple[Callable, bool]] = {
        "wrong rate, exact grading": (ratio("wrong_exact"), True),
        "wrong rate, contains grading": (ratio("wrong_contains"), True),
        "wrong rate, malformed counted as wrong": (ratio("wrong_or_malformed"), True),
        "correct given attempted": (ratio("correct", "answered"), False),
        "F-score (SimpleQA)": (_f_score, False),
    }
    for t in THRESHOLDS:
        rules[f"threshold score, t = {t}"] = (_threshold_score(t), False)
    return rules


# --- the analysis ---


def analyse(
    labels: pd.DataFrame,
    questions: pd.DataFrame,
    recipes: pd.DataFrame,
    losses: pd.DataFrame,
    settings: AnalysisSettings,
    knowledge: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame | dict[str, Any]]:
    """All tables of the summary (names as in rules/summary.smk's outputs); with ``knowledge``
    (``knowledge.csv``) also the effect against the teacher's gap (``gap_points``, ``gap_fit``)."""
    labels = regrade(attach_persons(labels, questions), questions)
    data = design_table(labels)
    columns = design_columns(data) + _rule_indicators(data) + relation_columns(data)
    design = build_design(data, columns, person=PERSON)
    draws = resample(design, settings.n_boot, settings.seed)
    students = list(pd.unique(labels["student"]))
    contrasts = [
        c
        for c in contrasts_of(settings.recipes, students, settings.primary)
        if (c.student, c.treatment) in design.arms() and (c.student, c.control) in design.arms()
    ]
    contrast_table, per_world = _contrasts(contrasts, labels, draws, settings)
    series = sweep_series(settings.recipes)
    tables: dict[str, pd.DataFrame | dict[str, Any]] = {
        "labels": labels.drop(columns=["label_exact", "label_contains"]),
        "summary": summarize(labels, recipes, confidence=settings.confidence, draws=draws),
        "contrasts": contrast_table,
        "per_world": per_world,
        "robustness": _robustness(contrasts, draws, settings),
        "mcnemar": _mcnemar(contrasts, labels),
        "dose_response": dose_response(data, recipes, series),
        "sweep_levels": sweep_levels(recipes, draws, series, settings.confidence),
        "grid_counts": grid_counts(settings.recipes, recipes),
        "grid_interaction": grid_interactions(
            settings.recipes, draws, students, settings.confidence
        ),
        "by_knowledge": wrong_by_knowledge(labels, confidence=settings.confidence, draws=draws),
        "recipes": recipes,
        "losses": loss_curves(losses),
    }
    tables["gekhman_points"], tables["gekhman_fit"] = gekhman_fit(
        set_shares(recipes), draws, settings.recipes, students, settings.confidence
    )
    tables["training_length"] = training_length(
        contrast_table, draws, settings.recipes, losses, settings.confidence
    )
    tables["headline"] = headline(contrast_table, settings)
    has_relations = any(c.startswith("relation_n|") for c in columns)
    tables["effect_by_relation"] = (
        effect_by_relation(contrasts, draws, settings.confidence)
        if has_relations
        else empty_effects()
    )
    if knowledge is not None:
        control = contrasts[0].control if contrasts else None
        tables["gap_points"], tables["gap_fit"] = gap_tables(
            knowledge, settings.recipes, students, control, draws, settings.confidence
        )
    return tables


def _difference(
    draws: Resamples, metric: Callable, c: Contrast, worlds: Sequence[Any] | None = None
) -> np.ndarray:
    return arm_difference(draws, metric, (c.student, c.treatment), (c.student, c.control), worlds)


def _contrasts(
    contrasts: Sequence[Contrast],
    labels: pd.DataFrame,
    draws: Resamples,
    settings: AnalysisSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    design, wrong = draws.design, ratio("wrong")
    rows, world_rows = [], []
    for c in contrasts:
        arm_t, arm_c = (c.student, c.treatment), (c.student, c.control)
        worlds = [w for w in design.worlds_of(arm_t) if w in design.worlds_of(arm_c)]
        pooled = percentile_interval(_difference(draws, wrong, c, worlds), settings.confidence)
        per_world = {
            w: percentile_interval(_difference(draws, wrong, c, [w]), settings.confidence)
            for w in worlds
        }
        meta = pool_worlds(
            [e.estimate for e in per_world.values()],
            [e.se for e in per_world.values()],
            [len(design.persons[w]) for w in per_world],
            settings.confidence,
        )
        diffs = person_rates(design, arm_t, "wrong") - person_rates(design, arm_c, "wrong")
        test = sign_flip_test(diffs.to_numpy(), settings.n_flips, settings.seed)
        control_rate = float(wrong(draws.sums(arm_c, worlds))[0])
        old = _question_level(labels, c, settings)
        rhos = [r for r in (arm_icc(design, arm_t), arm_icc(design, arm_c)) if not math.isnan(r)]
        n_questions = int(
            labels[(labels.student == c.student) & (labels.recipe == c.control)]
            .groupby("world_seed")["question_id"]
            .nunique()
            .sum()
        )
        power = effective_mdd(
            n_questions, test.n_persons, max(rhos) if rhos else math.nan, control_rate
        )
        rows.append(
            {
                "role": c.role,
                "student": c.student,
                "treatment": c.treatment,
                "control": c.control,
                "metric": "wrong_rate",
                "treatment_rate": float(wrong(draws.sums(arm_t, worlds))[0]),
                "control_rate": control_rate,
                **_estimate_columns("", pooled),
                "p_value": test.p_value,
                "test": "sign-flip over persons",
                "n_flips": test.n_flips,
                "n_persons": test.n_persons,
                "persons_higher": test.persons_higher,
                "persons_lower": test.persons_lower,
                **new_worlds_columns(meta),
                **world_sign_test([e.estimate for e in per_world.values()]),
                "question_level_low": old.low,
                "question_level_high": old.high,
                "icc": power.icc,
                "design_effect": power.design_effect,
                "n_questions": power.n_questions,
                "n_effective": power.n_effective,
                "min_detectable": power.mdd,
                "min_detectable_naive": power.mdd_naive,
            }
        )
        for w, est in per_world.items():
            world_rows.append(
                {
                    "role": c.role,
                    "student": c.student,
                    "treatment": c.treatment,
                    "control": c.control,
                    "world": str(w),
                    "kind": "world",
                    "n_persons": len(design.persons[w]),
                    "n_runs_treatment": design.cells[(w, arm_t)].shape[0],
                    "n_runs_control": design.cells[(w, arm_c)].shape[0],
                    **_estimate_columns("", est),
                }
            )
        common = {"role": c.role, "student": c.student, "treatment": c.treatment}
        world_rows.append(
            common
            | {"control": c.control, "world": "these worlds", "kind": "pooled"}
            | {"n_persons": test.n_persons, **_estimate_columns("", pooled)}
        )
        world_rows.append(
            common
            | {"control": c.control, "world": f"new worlds (k = {meta.k})", "kind": "meta"}
            | {"estimate": meta.estimate, "low": meta.low, "high": meta.high, "se": meta.se}
        )
    table = pd.DataFrame(rows)
    if not table.empty:
        secondary = table["role"] == "secondary"
        table["p_holm"] = table["p_value"]
        table.loc[secondary, "p_holm"] = holm(table.loc[secondary, "p_value"].tolist())
    return table, pd.DataFrame(world_rows)


def _question_level(labels: pd.DataFrame, c: Contrast, settings: AnalysisSettings):
    """The superseded interval, for comparison only: worlds, seed runs and questions resampled
    as if questions were independent (``mismatch.analysis.stats.hierarchical_bootstrap``)."""
    rows = labels[
        (labels["student"] == c.student) & labels["recipe"].isin([c.treatment, c.control])
    ]
    return bootstrap_difference(
        with_indicators(rows),
        RATE_METRICS["wrong_rate"],
        c.treatment,
        c.control,
        n_boot=settings.n_boot,
        seed=settings.seed,
        confidence=settings.confidence,
    )


def _estimate_columns(prefix: str, est: Estimate) -> dict[str, float]:
    return {
        f"{prefix}estimate": est.estimate,
        f"{prefix}low": est.low,
        f"{prefix}high": est.high,
        f"{prefix}se": est.se,
    }


def _robustness(
    contrasts: Sequence[Contrast], draws: Resamples, settings: AnalysisSettings
) -> pd.DataFrame:
    """Per contrast and rule: the treatment-minus-control difference with its interval, and
    whether the treatment is still the worse recipe (the headline's direction)."""
    rows = []
    for c in contrasts:
        headline_worse = None
        for rule, (metric, higher_is_worse) in robustness_rules().items():
            est = percentile_interval(_difference(draws, metric, c), settings.confidence)
            harm = est.estimate if higher_is_worse else -est.estimate
            worse = bool(harm > 0)
            if headline_worse is None and rule.startswith(f"wrong rate, {settings.grading}"):
                headline_worse = worse
            excludes_zero = bool(est.low > 0 or est.high < 0)
            rows.append(
                {
                    "role": c.role,
                    "student": c.student,
                    "treatment": c.treatment,
                    "control": c.control,
                    "rule": rule,
                    "higher_is_worse": higher_is_worse,
                    **_estimate_columns("", est),
                    "treatment_worse": worse,
                    "interval_excludes_zero": excludes_zero,
                }
            )
        for row in rows[-len(robustness_rules()) :]:
            row["direction_holds"] = row["treatment_worse"] == headline_worse
    return pd.DataFrame(rows)


def new_worlds_columns(meta: MetaResult) -> dict[str, Any]:
    """The "new worlds" columns of a contrast row (contrasts.csv)."""
    return {
        "new_worlds_estimate": meta.estimate,
        "new_worlds_low": meta.low,
        "new_worlds_high": meta.high,
        "new_worlds_p_value": meta.p_value,
        "new_worlds_tau2": meta.tau2,
        "k_worlds": meta.k,
    }


def world_sign_test(differences: Sequence[float]) -> dict[str, Any]:
    """Exact two-sided sign test over worlds: how many worlds have the treatment worse and
    better (ties dropped), and the binomial p-value (1.0 with no untied world). With k worlds
    all in one direction p = 2 / 2**k: p < 0.01 needs at least 8."""
    higher = sum(d > 0 for d in differences)
    lower = sum(d < 0 for d in differences)
    n = higher + lower
    p = float(sps.binomtest(higher, n, 0.5).pvalue) if n else 1.0
    return {"worlds_higher": higher, "worlds_lower": lower, "worlds_sign_p": p}


def _mcnemar(contrasts: Sequence[Contrast], labels: pd.DataFrame) -> pd.DataFrame:
    tables = []
    for c in contrasts:
        rows = labels[labels["student"] == c.student]
        table = paired_mcnemar(rows, c.treatment, c.control)
        tables.append(table.assign(treatment=c.treatment, control=c.control, role=c.role))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def loss_curves(losses: pd.DataFrame) -> pd.DataFrame:
    """Per (student, recipe, step): mean, min and max training loss over all seed runs."""
    if losses.empty:
        return pd.DataFrame(columns=["student", "recipe", "step", "mean", "min", "max", "n_runs"])
    grouped = losses.groupby(["student", "recipe", "step"], sort=False)["loss"]
    table = grouped.agg(["mean", "min", "max", "count"]).rename(columns={"count": "n_runs"})
    return table.reset_index()


def headline(contrasts: pd.DataFrame, settings: AnalysisSettings) -> dict[str, Any]:
    """The primary contrast's numbers (for the README's findings)."""
    primary = contrasts[contrasts["role"] == "primary"]
    if primary.empty:
        return {"primary": None}
    row = primary.iloc[0].to_dict()
    keep = [
        "student",
        "treatment",
        "control",
        "treatment_rate",
        "control_rate",
        "estimate",
        "low",
        "high",
        "p_value",
        "n_flips",
        "n_persons",
        "persons_higher",
        "persons_lower",
        "new_worlds_estimate",
        "new_worlds_low",
        "new_worlds_high",
        "new_worlds_p_value",
        "k_worlds",
        "worlds_higher",
        "worlds_lower",
        "worlds_sign_p",
        "icc",
        "design_effect",
        "n_questions",
        "n_effective",
        "min_detectable",
        "min_detectable_naive",
    ]
    out = {k: _plain(row[k]) for k in keep}
    out["n_boot"] = settings.n_boot
    return {"primary": out}


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return value
