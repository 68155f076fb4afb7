"""The registry of analysis outputs (mismatch/analysis/outputs.py): every table and figure
declared once, with the studies that have it, its report entry and the pages that publish it;
and the worked example of docs/design.md (a new table and figure by two entries) run as written."""

import re

import pandas as pd
import pytest
from workflow_runs import ROOT, load_config

from mismatch.analysis import outputs
from mismatch.analysis.outputs import (
    FIGURES,
    TABLES,
    Design,
    Figure,
    computed_tables,
    design_of,
    figure_files,
    figure_table_files,
    published_files,
    reported,
    table_files,
)
from mismatch.analysis.summary_files import table_paths
from mismatch.errors import InputError
from mismatch.report import drawing, figure_step

LABELS = pd.DataFrame(
    {
        "student": ["small"] * 4,
        "recipe": ["own", "own", "large", "large"],
        "label": ["abstain", "correct", "wrong", "abstain"],
    }
)


@pytest.fixture
def abstentions():
    """The docs' worked example, executed as written; unregistered afterwards."""
    text = (ROOT / "docs" / "design.md").read_text()
    section = text.split("## Adding an analysis table and figure", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/design.md", "exec"), {})
    yield TABLES["abstentions_by_recipe"], FIGURES["abstentions_by_recipe"]
    del FIGURES["abstentions_by_recipe"]
    del TABLES["abstentions_by_recipe"]


def test_the_worked_example_adds_a_table_and_figure_by_two_entries(abstentions, tmp_path):
    design = design_of(load_config("config.yaml"))
    assert table_files("s", design)["abstentions_by_recipe"] == "s/abstentions_by_recipe.csv"
    assert figure_files("f", design)["abstentions_by_recipe"] == "f/abstentions_by_recipe.png"
    assert figure_table_files("s", design)["abstentions_by_recipe"] == "s/abstentions_by_recipe.csv"
    assert reported("abstentions_by_recipe", design) == ("abstentions_by_recipe", "1. Outcomes")
    assert "abstentions_by_recipe.csv" in published_files("findings")[0]
    tables = computed_tables({"labels": LABELS}, pd.DataFrame(), None, names=["summary"])
    table = tables["abstentions_by_recipe"]
    assert table.to_dict("list") == {
        "student": ["small", "small"],
        "recipe": ["own", "large"],
        "n": [2, 2],
        "abstentions": [1, 1],
    }
    table.to_csv(tmp_path / "abstentions_by_recipe.csv", index=False)
    assert "abstentions_by_recipe" in table_paths(tmp_path)  # recompute_tables compares it
    drawn = drawing.draw_figures(
        {"abstentions_by_recipe": tmp_path / "abstentions_by_recipe.csv"},
        {"abstentions_by_recipe": tmp_path / "abstentions_by_recipe.png"},
    )
    assert drawn == ["abstentions_by_recipe"]
    assert (tmp_path / "abstentions_by_recipe.png").read_bytes()[:4] == b"\x89PNG"


def test_each_study_has_the_outputs_its_design_asks_for():
    default = design_of(load_config("config.yaml"))
    exposure = design_of(load_config("configs/exposure.yaml"))
    assert default == Design(sweeps=("grid",)) and exposure.exposure
    only_exposure = {"probe_auroc", "recall_by_exposure", "gap_points", "gap_fit"}
    assert not only_exposure & set(table_files("s", default))
    assert only_exposure <= set(table_files("s", exposure))
    assert "training_length" in table_files("s", Design(early=True))
    assert set(figure_files("f", default)) == {
        "outcomes",
        "wrong_by_knowledge",
        "forest",
        "loss_curves",
        "dose_response_grid",
    }
    assert {"recall_by_exposure", "effect_by_gap"} <= set(figure_files("f", exposure))
    assert reported("gekhman_fit", default) is None
    assert reported("gekhman_fit", Design(category_sets=True)) == (
        "gekhman_fit",
        "6. Knowledge gap and fits",
    )


def test_every_entry_has_its_caption_and_drawing_function():
    design = Design(
        exposure=True, early=True, category_sets=True, sweeps=("mismatch", "abstention", "grid")
    )
    for name in [*TABLES, *FIGURES]:
        entry = reported(name, design)
        if entry is not None:
            assert (ROOT / "report" / f"{entry[0]}.rst").is_file(), name
    for figure in FIGURES.values():
        assert callable(getattr(figure_step, figure.draw.__name__)), figure.name
    files = [table.file for table in TABLES.values()]
    assert len(files) == len(set(files))


def test_each_page_publishes_its_tables_and_records():
    tables, records = published_files("exposure")
    assert {"probe_auroc.csv", "gap_fit.csv", "training_length.csv"} <= set(tables)
    assert records == ["environment.json", "summary.md"]
    tables, records = published_files("real")
    assert {"who_knows.csv", "summary.csv", "wrong_by_knowledge.csv"} <= set(tables)
    assert set(records) == {"headline.json", "environment.json", "summary.md", "preconditions.json"}
    assert published_files("paper_regime") == (
        ["contrasts.csv", "per_world.csv"],
        ["environment.json", "summary.md"],
    )
    with pytest.raises(InputError, match=r"publishing: unknown page 'nope'"):
        published_files("nope")


def test_a_figure_of_an_unregistered_table_is_refused():
    with pytest.raises(ValueError, match=r"figure x: unregistered table\(s\) \['nope'\]"):
        outputs.register(Figure("x", "x.png", ("nope",), figure_step.forest_figure, "1. Outcomes"))


def test_a_recomputed_table_differs_only_beyond_floating_point_rounding(tmp_path):
    """recompute_tables: the last bits of a fit may differ between machines' BLAS kernels; a
    number that moves more, or any text, is a difference."""
    from mismatch.analysis.summary_files import differing_tables

    published = pd.DataFrame({"recipe": ["own", "large"], "slope": [0.1, 0.25]})
    path = tmp_path / "dose_response.csv"
    published.to_csv(path, index=False)
    rounding = published.assign(slope=published.slope + 1e-13)  # relative 1e-12: other text
    moved = published.assign(slope=published.slope + 1e-6)
    renamed = published.assign(recipe=["own", "xl"])
    paths = {"dose_response": path}
    assert differing_tables(paths, {"dose_response": published}) == []
    assert differing_tables(paths, {"dose_response": rounding}) == []
    assert differing_tables(paths, {"dose_response": moved}) == ["dose_response.csv"]
    assert differing_tables(paths, {"dose_response": renamed}) == ["dose_response.csv"]
    assert differing_tables(paths, {}) == ["dose_response.csv"]
