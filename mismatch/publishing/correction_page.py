"""The corrections of a published real-model run as prose and tables (issue 31), rendered from
its ``corrections/`` folder (``tools/correct_published_run.py``) by ``tools/publish_findings.py``:
the deviation note, the registered contrasts with the registered reading, the registered and
regraded headlines side by side, and knowing with its format failures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mismatch.analysis.corrections import ALPHA, disagreements


def _points(value: float) -> str:
    return f"{value:+.1f}"


def _interval(row: pd.Series) -> str:
    return f"{_points(row['difference'])} [{_points(row['low'])}, {_points(row['high'])}]"


def _p(value: float, floor: float | None = None) -> str:
    if floor is not None and value <= floor:
        return f"<= {floor:.2g}"
    if value < 5e-5:
        return "< 5e-05"
    return f"{value:.2g}"


def _row(table: pd.DataFrame, grading: str, student: str, contrast: str) -> pd.Series:
    match = table[
        (table["grading"] == grading)
        & (table["student"] == student)
        & (table["contrast"] == contrast)
    ]
    return match.iloc[0]


def _covers(row: pd.Series) -> bool:
    return bool(row["low"] <= 0 <= row["high"])


def registered_reading(table: pd.DataFrame, paper: str, reverse: str) -> str:
    """One sentence: which registered reading the registered contrasts support. Knowledge
    mismatch predicts the reverse direction (``reverse`` taught by the smaller model) positive,
    larger teacher negative; ``other - random_idk`` separates mismatch from the share of "I don't
    know" targets."""
    back = _row(table, "registered", reverse, "other - own")
    control = _row(table, "registered", paper, "other - random_idk")
    if _covers(back):
        reading = (
            f"Neither registered reading is supported: the reverse direction (`{reverse}` "
            f"`other - own`) is {_interval(back)} points, an interval covering 0, where "
            "knowledge mismatch predicts a positive and a larger teacher a negative difference"
        )
    elif back["difference"] > 0:
        reading = (
            f"The run supports the knowledge-mismatch reading: the reverse direction (`{reverse}`"
            f" `other - own`) is {_interval(back)} points, positive as it predicts"
        )
    else:
        reading = (
            f"The run supports the larger-teacher reading: the reverse direction (`{reverse}` "
            f"`other - own`) is {_interval(back)} points, negative as it predicts"
        )
    if _covers(control):
        tail = (
            f"; and `{paper}`'s `other - random_idk`, {_interval(control)}, covers 0, so the run "
            "does not separate the effect of targets the student did not know from that of the "
            'share of "I don\'t know" targets.'
        )
    else:
        tail = (
            f"; `{paper}`'s `other - random_idk`, {_interval(control)}, excludes 0: the "
            "teacher's answers do more than a random share of \"I don't know\" targets would."
        )
    return reading + tail


def contrasts_markdown(table: pd.DataFrame, n_boot: int) -> str:
    """The registered analysis' contrasts: difference, interval, registered and corrected test."""
    part = table[table["grading"] == "registered"]
    floor = 2 / (n_boot + 1)
    rows = []
    for _, r in part.iterrows():
        flagged = r["p_sign_flip"] < ALPHA and _covers(r)
        rows.append(
            {
                "Student": r["student"],
                "Contrast": r["contrast"],
                "Registered": "yes" if r["registered"] else "no (reported)",
                "Wrong, treatment / control": (
                    f"{r['treatment_wrong']:.1f}% / {r['control_wrong']:.1f}%"
                ),
                "Difference [95% CI]": _interval(r),
                "Sign-flip p (registered)": _p(r["p_sign_flip"]) + (" (!)" if flagged else ""),
                "Bootstrap p (deviation)": _p(r["p_bootstrap"], floor),
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False)


def headlines_markdown(table: pd.DataFrame, provenance: dict[str, str], n_boot: int) -> str:
    """Every contrast under the registered grading and regraded, side by side."""
    floor = 2 / (n_boot + 1)
    old = table[table["grading"] == "registered"].reset_index(drop=True)
    new = table[table["grading"] == "regraded"].reset_index(drop=True)
    registered = f"Registered grading ({provenance['registered_commit'][:7]})"
    regraded = f"Regraded ({provenance['regraded_commit'][:7]})"
    rows = [
        {
            "Student": o["student"],
            "Contrast": o["contrast"],
            registered: f"{_interval(o)}, p {_p(o['p_bootstrap'], floor)}",
            regraded: f"{_interval(n)}, p {_p(n['p_bootstrap'], floor)}",
        }
        for (_, o), (_, n) in zip(old.iterrows(), new.iterrows(), strict=True)
    ]
    return pd.DataFrame(rows).to_markdown(index=False)


def knowing_markdown(knowing: pd.DataFrame) -> str:
    """Known shares and format failures per base model and relation."""
    rows = [
        {
            "Model": r["model"],
            "Relation": r["relation"],
            "Test questions": r["questions"],
            "Known, registered": f"{r['known_registered']:.1f}%",
            "Known, regraded": f"{r['known_regraded']:.1f}%",
            "Format failures": f"{r['format_failures']} ({r['format_failure_rate']:.1f}%)",
        }
        for _, r in knowing.iterrows()
    ]
    return pd.DataFrame(rows).to_markdown(index=False)


def corrections_section(folder: Path, paper: str, reverse: str, n_boot: int) -> str:
    """The page's corrections section from ``folder`` (a run's ``corrections/``)."""
    table = pd.read_csv(folder / "contrasts.csv")
    knowing = pd.read_csv(folder / "knowing.csv")
    changed = pd.read_csv(folder / "changed_labels.csv")
    provenance = json.loads((folder / "provenance.json").read_text())
    moved = ", ".join(
        f"{r['answers']} {r['registered']} -> {r['regraded']}" for _, r in changed.iterrows()
    )
    late = disagreements(table[table["grading"] == "registered"], "p_sign_flip")
    late_text = ", ".join(f"`{r['student']}` `{r['contrast']}`" for _, r in late.iterrows())
    return (
        "## Corrections to the published run: registered controls, tests, grading\n\n"
        "**Deviation from the pre-registration.** The registered controls `other - gold` and "
        "`other - random_idk` per student were not reported when this run was published (the "
        "page showed `gold - own` and `random_idk - own`, which were not registered). They are "
        "reported below, computed from the committed labels by "
        "`tools/correct_published_run.py` with the registered interval (95%, countries and seed "
        "runs resampled; unit of resampling: the country). The registered test (sign-flip over "
        "countries of the per-country differences averaged over seed runs) stays as registered; "
        "it ignores the seed runs' variance and disagrees with its interval for "
        f"{late_text or 'no contrast'} (marked (!)). Beside it, as a deviation, the bootstrap "
        "test read off the interval's own replicates (the same units resampled), which cannot "
        "show p < 0.05 beside a 95% interval covering 0.\n\n"
        f"**Registered reading.** {registered_reading(table, paper, reverse)}\n\n"
        f"{contrasts_markdown(table, n_boot)}\n\n"
        "Wrong-rate difference, treatment minus control, percentage points; definition of "
        "knowing: the registered one (the base model's 4-shot greedy answer graded correct).\n\n"
        "**Registered and regraded headlines.** The same labels graded again with the "
        "relations' closed vocabularies (an alias inside another member's name is not the "
        'answer: "North Korea" for a South Korean city; an answer naming another member of '
        "the relation is wrong) and the malformed check before `contains` "
        f"(`mismatch/answers/grading.py`). Labels that changed: {moved}. The fine-tuning sets "
        "are as run (the pool answers' text is not among the committed inputs).\n\n"
        f"{headlines_markdown(table, provenance, n_boot)}\n\n"
        "Each cell: difference [95% interval, countries and seed runs resampled], bootstrap p; "
        "the commit of the grading code in the column's name.\n\n"
        "**Knowing and format failures.** Per base model and relation on the test questions: "
        "known as registered and as regraded (definition: the base model's 4-shot greedy answer "
        "graded correct), and format failures: answers that are a name of another relation's "
        "vocabulary (a country for a capital question), which the registered definition reads "
        'as "does not know". The exemplars were one seeded sample of 4 format questions, the same '
        "for every question whatever its relation.\n\n"
        f"{knowing_markdown(knowing)}\n\n"
    )


def corrections_sentence(folder: Path, paper: str, reverse: str) -> str:
    """The README's sentence on the corrections: the registered controls and the regraded
    headline, with the commits."""
    table = pd.read_csv(folder / "contrasts.csv")
    provenance = json.loads((folder / "provenance.json").read_text())
    control = _row(table, "registered", paper, "other - random_idk")
    gold = _row(table, "registered", paper, "other - gold")
    head = _row(table, "registered", paper, "other - own")
    new = _row(table, "regraded", paper, "other - own")
    return (
        f"Corrected, not replaced: the registered controls for `{paper}` are "
        f"`other - random_idk` {_interval(control)} and `other - gold` {_interval(gold)} points; "
        f"regraded with the relations' vocabularies the headline is {_interval(new)} "
        f"(registered grading, {provenance['registered_commit'][:7]}: {_interval(head)}; "
        f"regraded, {provenance['regraded_commit'][:7]}). "
        f"{registered_reading(table, paper, reverse).split(':')[0]}: see "
        "[docs/real-small.md](docs/real-small.md#corrections-to-the-published-run-registered-controls-tests-grading)."
    )
