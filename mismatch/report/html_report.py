"""What the HTML report (``snakemake --report``) shows of the analysis tables: each shown table's
caption (``report/<caption>.rst``) and category, the heading it appears under."""

from __future__ import annotations

SUMMARY_TABLE, PROBES, GAP = "4. Summary table", "5. Knowledge probes", "6. Knowledge gap and fits"

REPORTED_TABLES: dict[str, tuple[str, str]] = {  # table -> (caption, report category)
    "summary": ("summary", SUMMARY_TABLE),
    "contrasts": ("contrasts", SUMMARY_TABLE),
    "robustness": ("robustness", SUMMARY_TABLE),
    "probe_auroc": ("probe_auroc", PROBES),
    "gap_points": ("gap", GAP),
    "gap_fit": ("gap", GAP),
    "training_length": ("training_length", GAP),
}


def reported_tables(category_sets: bool) -> dict[str, tuple[str, str]]:
    """Table -> (caption, category) of the tables the report shows; Gekhman's fit where the study
    builds category sets."""
    extra = {"gekhman_fit": ("gekhman_fit", GAP)} if category_sets else {}
    return {**REPORTED_TABLES, **extra}
