"""The prose of the published pages (README blocks, docs/findings.md, docs/exposure.md): the
findings in plain words, rendered from a published run's summary tables. The study's own
summary page is ``mismatch.report.rendering``'s."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mismatch.analysis.outcomes import format_interval
from mismatch.knowing.knowledge_checks import known_rate_table
from mismatch.report.formatting import format_pct, format_points
from mismatch.report.knowledge_sections import gap_fit_sentences, knowing_phrase
from mismatch.report.rendering import headline_markdown

_pct, _points = format_pct, format_points


def _level_lines(levels: pd.DataFrame | None) -> list[str]:
    """One line per sweep level against its series' level 0: the wrong-rate difference overall
    and on test facts the student knows and does not know (measured levels: findings.md)."""
    if levels is None or levels.empty:
        return []
    parts = {
        "wrong rate": "wrong rate",
        "wrong rate, facts the student knows": "on known facts",
        "wrong rate, facts the student does not know": "on unknown facts",
    }
    lines = []
    several = levels["student"].nunique() > 1
    for (student, sweep, _), rows in levels.groupby(["student", "sweep", "recipe"], sort=False):
        by = rows.set_index("outcome")
        shown = "; ".join(
            f"{text} {_points(by.loc[o, 'estimate'], by.loc[o, 'low'], by.loc[o, 'high'])}"
            for o, text in parts.items()
            if o in by.index
        )
        first = rows.iloc[0]
        lines.append(
            f"- {sweep}, {first['level_name']} vs {first['reference_name']}"
            f"{f' ({student})' if several else ''}: {shown} points."
        )
    return lines


SAME_RATE_POINTS = 2.0  # correct rates closer than this many points read "about as many"


def plain_finding(headline: Mapping[str, Any], summary: pd.DataFrame) -> str:
    """The primary contrast in plain words: how often the two students answer correctly, and
    whether the difference is in wrong answers or abstentions (rendered from the tables)."""
    h = headline.get("primary")
    recipes = summary.set_index(["student", "recipe"])
    if not h or any((h["student"], r) not in recipes.index for r in (h["control"], h["treatment"])):
        return ""
    own, other = (
        recipes.loc[(h["student"], h["control"])],
        recipes.loc[(h["student"], h["treatment"])],
    )
    gap = 100 * (other["correct_rate"] - own["correct_rate"])
    if abs(gap) < SAME_RATE_POINTS:
        correct = "about as many unseen test questions correctly as"
    else:
        correct = f"{'more' if gap > 0 else 'fewer'} unseen test questions correctly than"
    wrong = "more" if other["wrong_rate"] > own["wrong_rate"] else "less"
    return (
        f"The student `{h['student']}` fine-tuned on the larger model's answers "
        f"(`{h['treatment']}`) answered {correct} the same student fine-tuned on its own answers "
        f"(`{h['control']}`): {_pct(other['correct_rate'])} vs {_pct(own['correct_rate'])}. "
        f"What changed is what it does when it does not know: it abstained on "
        f"{_pct(other['abstain_rate'])} of the questions instead of {_pct(own['abstain_rate'])} "
        f"and answered wrongly {wrong} often, {_pct(other['wrong_rate'])} instead of "
        f"{_pct(own['wrong_rate'])} (a difference of "
        f"{_points(h['estimate'], h['low'], h['high'])} points; 95% interval resampling persons "
        f"and seed runs).\n"
    )


def findings_markdown(
    headline: Mapping[str, Any],
    summary: pd.DataFrame,
    dose_response: pd.DataFrame,
    robustness: pd.DataFrame,
    sweep_levels: pd.DataFrame | None = None,
) -> str:
    """The README's findings: design, the primary contrast, outcome rates of its two recipes, the
    sweeps' slopes and the robustness verdicts, rendered from a run's summary tables."""
    h = headline.get("primary")
    if not h:
        return headline_markdown(headline)
    recipes = summary.set_index(["student", "recipe"])
    lines = [
        f"{h['k_worlds']} world(s), {h['n_questions']} unseen test questions about "
        f"{h['n_persons']} persons (the independent unit: a person's questions move together), "
        f"each recipe fine-tuned with every fine-tuning seed. Intervals: 95%, resampling persons "
        f"and seed runs ({h['n_boot']} bootstrap resamples).",
        "",
        headline_markdown(headline).rstrip("\n"),
    ]
    for recipe in (h["control"], h["treatment"]):
        if (h["student"], recipe) in recipes.index:
            r = recipes.loc[(h["student"], recipe)]
            rates = ", ".join(
                f"{name} {format_interval(r[m], r[f'{m}_low'], r[f'{m}_high'])}"
                for m, name in (
                    ("correct_rate", "correct"),
                    ("wrong_rate", "wrong"),
                    ("abstain_rate", "abstain"),
                    ("malformed_rate", "malformed"),
                )
            )
            lines.append(f"- Recipe `{recipe}`: {rates}.")
    slopes = dose_response if sweep_levels is None or sweep_levels.empty else dose_response[:0]
    for fit in slopes[slopes["outcome"] == "wrong_rate"].itertuples():  # levels say more
        lines.append(
            f"- Sweep `{fit.sweep}` (levels {fit.levels}): wrong-rate slope {fit.slope:+.3f} "
            f"[{fit.low:+.3f}, {fit.high:+.3f}] per unit of {fit.x} (GEE, clusters = persons)."
        )
    for line in _level_lines(sweep_levels):
        lines.append(line)
    if len(robustness):
        held = int(robustness["direction_holds"].astype(bool).sum())
        lines.append(
            f"- Robustness: the direction of a contrast holds in {held} of {len(robustness)} "
            f"(contrast, grading or scoring rule) pairs; "
            f"{robustness['rule'].nunique()} rules, {len(pd.unique(robustness['treatment']))} "
            f"contrasts."
        )
    return "\n".join(lines) + "\n"


def exposure_findings_markdown(
    gaps: pd.DataFrame,
    truth: pd.DataFrame,
    contrasts: pd.DataFrame,
    probe_auroc: pd.DataFrame,
    recall: pd.DataFrame,
    student: str,
    teachers: Sequence[str],
    extras: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """The exposure world's findings: what each model answers of the pool (``gaps``, measured)
    and knows by the held-out reference (``truth``; both ``knowledge_gaps`` tables), whether the
    success rule holds, the effect of each teacher's data against its gap, the probes' AUROCs
    and recall by exposure, and (``extras``: gap_fit, training_length, gekhman_fit summary
    tables, where the run has them) the fitted line with its paper-regime prediction, early
    stopping against convergence and Gekhman's fit; rendered from summary tables."""
    extras = extras or {}
    models = [student, *teachers]
    lines = [*_success_lines(gaps, truth, student, teachers)]
    for teacher in teachers:
        row = contrasts[(contrasts["treatment"] == teacher) & (contrasts["student"] == student)]
        if row.empty:
            continue
        r = row.iloc[0]
        lines.append(
            f"- Teacher `{teacher}` (knowledge gap {100 * gaps[f'gap_{teacher}'].mean():+.1f} "
            f"points): wrong rate {_pct(r['treatment_rate'])} vs {_pct(r['control_rate'])} on "
            f"own data, difference {_points(r['estimate'], r['low'], r['high'])} points "
            f"(persons and seed runs resampled)."
        )
    lines += [f"- {s}" for s in _extra_sentences(extras)]
    lines += [f"- {s}" for s in probe_sentences(probe_auroc, models)]
    ends = (student, teachers[-1]) if teachers else (student,)
    lines += [f"- {s}" for s in recall_sentences(recall, ends)]
    return "\n".join(lines) + "\n"


def probe_sentences(probe_auroc: pd.DataFrame, models: Sequence[str]) -> list[str]:
    """Every probe's AUROC with its person-level interval, one sentence per model."""
    sentences = []
    for model in models:
        part = probe_auroc[probe_auroc["model"] == model]
        if part.empty:
            continue
        shown = "; ".join(
            f"{r.probe} {r.auroc:.2f} [{r.low:.2f}, {r.high:.2f}]" for r in part.itertuples()
        )
        sentences.append(f"Probe AUROC against the reference, `{model}`: {shown}.")
    return sentences


def recall_sentences(recall: pd.DataFrame, models: Sequence[str]) -> list[str]:
    """Recall by exposure bin with its interval, and the mean gold-value probability beside it
    (the main probe's calibration), one sentence per model."""
    sentences = []
    for model in models:
        part = recall[(recall["model"] == model) & (recall["n_facts"] > 0)]
        if part.empty:
            continue
        shown = ", ".join(
            f"{r.exposure}: {_pct(r.recall)}"
            + (f" [{_pct(r.recall_low)}, {_pct(r.recall_high)}]" if "recall_low" in part else "")
            for r in part.itertuples()
        )
        mean = ", ".join(f"{_pct(p)}" for p in part["mean_gold_probability"])
        sentences.append(
            f"Recall by times stated in pretraining, `{model}`: {shown}; the mean gold-value "
            f"probability in the same bins: {mean}."
        )
    return sentences


def _success_lines(
    gaps: pd.DataFrame, truth: pd.DataFrame, student: str, teachers: Sequence[str]
) -> list[str]:
    """The pool known rates by the study's definition of knowing (``gaps``) with the success
    rule on them, then by the other definition (``truth``: the sensitivity row)."""
    models = [student, *teachers]
    lines = []
    for table, role in ((gaps, "study's definition"), (truth, "sensitivity")):
        definition = str(table["definition"].iloc[0])
        known = ", ".join(f"`{m}` {_pct(table[m].mean())}" for m in models)
        met = int(table["rule_met"].sum())
        lines.append(
            f"- Pool facts known, knowing = {definition} ({knowing_phrase(definition)}; {role}), "
            f"mean over {len(table)} world(s): {known}. Success rule (every teacher at least 10 "
            f"points above the student, in order of size): met in {met} of {len(table)} "
            "world(s)."
        )
    return lines


def _extra_sentences(extras: Mapping[str, pd.DataFrame]) -> list[str]:
    """Sentences of the gap fit, training length and Gekhman's fit, for the tables present."""
    sentences = []
    if extras.get("gap_fit") is not None:
        sentences += gap_fit_sentences(extras["gap_fit"])
    length = extras.get("training_length")
    if length is not None and not length.empty:
        for r in length.itertuples():
            sentences.append(
                f"Training length, `{r.converged}` against `{r.converged_control}`: effect "
                f"{_points(r.converged_estimate, r.converged_low, r.converged_high)} points at "
                f"convergence ({r.last_step:.0f} steps), "
                f"{_points(r.early_estimate, r.early_low, r.early_high)} at early stopping "
                f"(best dev step, mean {r.kept_step_mean:.0f}, range {r.kept_step_min:.0f}-"
                f"{r.kept_step_max:.0f}); change "
                f"{_points(r.change_estimate, r.change_low, r.change_high)}."
            )
    sentences += grid_sentences(extras.get("grid_counts"), extras.get("grid_interaction"))
    fit = extras.get("gekhman_fit")
    if fit is not None and not fit.empty:
        terms = fit.set_index("term")
        shown = "; ".join(
            f"{t} {terms.loc[t, 'estimate']:+.1f} [{terms.loc[t, 'low']:+.1f}, "
            f"{terms.loc[t, 'high']:+.1f}] (Gekhman {terms.loc[t, 'gekhman']:+.1f}, "
            f"{'same sign' if terms.loc[t, 'same_sign'] else 'opposite sign'})"
            for t in ("b_kn", "b_unk", "b_unk - b_kn")
            if t in terms.index
        )
        sentences.append(
            f"Gekhman et al.'s fit, accuracy points per unit share of the set: {shown}; "
            f"{int(terms['n_points'].iloc[0])} (world, recipe) points."
        )
    return sentences


def grid_sentences(counts: pd.DataFrame | None, interaction: pd.DataFrame | None) -> list[str]:
    """One sentence per mismatch level of the grid: its doses in counts, the mismatch effect at
    each abstention level and their interaction with its interval; none without a grid."""
    if counts is None or counts.empty or interaction is None or interaction.empty:
        return []
    sentences = []
    for r in interaction.itertuples():
        cells = counts[(counts["student"] == r.student) & (counts["mismatch"] == r.mismatch)]
        doses = " and ".join(
            f"{c.n_mismatched:.0f} of {c.n_known_answered + c.n_mismatched:.0f} answered "
            f"targets mismatched at abstention {c.abstention:.3g}"
            for c in cells.sort_values("abstention").itertuples()
        )
        sentences.append(
            f"Mismatch x abstention grid, `{r.student}`, mismatch {r.mismatch:.2f} against 0 "
            f"({doses}; every set {cells['n_examples'].max():.0f} examples): wrong rate "
            f"{100 * r.effect_at_low:+.1f} points at abstention {r.abstention_low:.3g} and "
            f"{100 * r.effect_at_high:+.1f} at {r.abstention_high:.3g}; interaction "
            f"{_points(r.interaction, r.low, r.high)} points (persons and seed runs resampled)."
        )
    return sentences


def exposure_readme_markdown(
    gaps: pd.DataFrame,
    truth: pd.DataFrame,
    student: str,
    teachers: Sequence[str],
    extras: Mapping[str, pd.DataFrame],
    probe_auroc: pd.DataFrame | None = None,
    recall: pd.DataFrame | None = None,
) -> str:
    """The README's short form of ``exposure_findings_markdown``: the success rule, the gap
    line with the paper-regime prediction, training length, Gekhman's fit, and the probes and
    recall by exposure of the student and the largest teacher."""
    lines = _success_lines(gaps, truth, student, teachers)
    lines += [f"- {s}" for s in _extra_sentences(extras)]
    ends = (student, teachers[-1]) if teachers else (student,)
    if probe_auroc is not None:
        lines += [f"- {s}" for s in probe_sentences(probe_auroc, ends)]
    if recall is not None:
        lines += [f"- {s}" for s in recall_sentences(recall, ends)]
    return "\n".join(lines) + "\n"


def paper_regime_sentence(
    knowledge: pd.DataFrame, contrasts: pd.DataFrame, config: str, dev_size: int
) -> str:
    """The paper-regime run's prediction: its student's and teacher's pool accuracy against
    Llama-2's, its primary effect with interval, and the TriviaQA questions per arm that a
    two-proportion test (80% power, two-sided 5%) needs to detect it."""
    from mismatch.analysis.gap import PAPER_REGIME
    from mismatch.analysis.stats import questions_to_detect

    row = contrasts[contrasts["role"] == "primary"].iloc[0]
    per_world = known_rate_table(knowledge, "measured")
    accuracy = per_world.mean()
    above = int((per_world[row["treatment"]] > per_world[row["student"]]).sum())

    def needed(effect: float) -> str:
        n = questions_to_detect(float(effect), float(row["control_rate"]))
        return "no finite number" if math.isnan(n) else f"{n:,.0f}"

    return (
        f"Paper regime (`{config}`: student `{row['student']}` {_pct(accuracy[row['student']])} "
        f"and teacher `{row['treatment']}` {_pct(accuracy[row['treatment']])} of the pool, "
        f"against Llama-2 7B {_pct(PAPER_REGIME['student_accuracy'])} and 13B "
        f"{_pct(PAPER_REGIME['teacher_accuracy'])}; means over {len(per_world)} world(s), the "
        f"teacher above the student in {above} of them): wrong rate "
        f"{_pct(row['treatment_rate'])} vs {_pct(row['control_rate'])} on own data, effect "
        f"{_points(row['estimate'], row['low'], row['high'])} points (persons and seed runs "
        f"resampled); a two-proportion test (80% power, two-sided 5%) needs "
        f"{needed(row['estimate'])} TriviaQA test questions per arm to detect it "
        f"({needed(row['low'])} at the interval's low end; the unfiltered dev split has "
        f"{dev_size:,})."
    )


def default_world_sentence(gaps: pd.DataFrame, wall_minutes: float) -> str:
    """Which world the default study uses and why, from the exposure run's success rule."""
    met, worlds = int(gaps["rule_met"].sum()), len(gaps)
    if met < worlds:
        why = (
            f"the exposure world met the success rule in {met} of {worlds} worlds, and the rule "
            "asks for every world"
        )
    else:
        why = (
            f"the exposure world met the success rule in all {worlds} worlds, but its run took "
            f"{wall_minutes:.0f} min on 2 CPUs, beyond the default study's time budget"
        )
    return f"The default study stays in the `slice` world: {why}."
