"""Tests of mismatch.report.figures: every figure is written as a real, non-trivial PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.outcomes import design_table, summarize, wrong_by_knowledge
from mismatch.analysis.sweep_contrasts import dose_response, sweep_levels, sweep_series
from mismatch.analysis.tables import loss_curves
from mismatch.errors import InputError
from mismatch.report.figures import (
    OUTCOME_COLORS,
    plot_dose_response,
    plot_effect_by_gap,
    plot_forest,
    plot_grid,
    plot_loss_curves,
    plot_outcomes,
    plot_wrong_by_knowledge,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SWEEP = {"mismatch_0.00": 0.0, "mismatch_0.50": 0.5, "mismatch_1.00": 1.0}


def _labels(seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    recipes = {"own": 0.2, "large": 0.4, **{r: 0.2 + 0.3 * x for r, x in SWEEP.items()}}
    rows = []
    for w in range(2):
        knows = rng.random(40) < 0.5
        for recipe, p_wrong in recipes.items():
            for ft in range(2):
                draws = rng.random(40)
                labels = np.where(
                    draws < p_wrong, "wrong", np.where(draws < p_wrong + 0.2, "abstain", "correct")
                )
                rows += [
                    (
                        w,
                        "stu",
                        recipe,
                        ft,
                        f"q{q}",
                        labels[q],
                        bool(knows[q]),
                        False,
                        ["HighlyKnown", "Unknown"][q % 2],
                    )
                    for q in range(40)
                ]
    return pd.DataFrame(
        rows,
        columns=[
            "world_seed",
            "student",
            "recipe",
            "ft_seed",
            "question_id",
            "label",
            "student_knows",
            "contains_alias",
            "category",
        ],
    )


def _recipes() -> pd.DataFrame:
    """One set per (world, seed run, recipe), as the fine-tuning set files describe them."""
    rows = [(w, ft, "stu", "own", 0.0, 0.5, None, None) for w in range(2) for ft in range(2)]
    rows += [(w, ft, "stu", "large", 0.3, 0.6, None, None) for w in range(2) for ft in range(2)]
    rows += [
        (w, ft, "stu", r, x, 0.5, "mismatch", x)
        for w in range(2)
        for ft in range(2)
        for r, x in SWEEP.items()
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "world_seed",
            "ft_seed",
            "student",
            "recipe",
            "mismatch_fraction",
            "abstention_share",
            "sweep",
            "level",
        ],
    )


def _series():
    """The mismatch sweep of ``SWEEP`` as a series (from config recipes, as the summary has)."""
    specs = {r: {"kind": "mismatch", "sweep": "mismatch", "level": x} for r, x in SWEEP.items()}
    return sweep_series(specs)


def _assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 10_000
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files left


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return summarize(_labels(), _recipes(), n_boot=50)


def test_palette_has_one_colour_per_outcome():
    assert set(OUTCOME_COLORS) == {"correct", "wrong", "abstain", "malformed"}
    assert len(set(OUTCOME_COLORS.values())) == 4


def test_plot_outcomes(summary, tmp_path):
    path = tmp_path / "out" / "outcomes.png"
    plot_outcomes(summary, path)
    _assert_png(path)


def _drawn(monkeypatch, plot, *args):
    """The figure ``plot`` draws (instead of saving it)."""
    import mismatch.report.figures as figures

    drawn = []
    monkeypatch.setattr(figures, "save_figure", lambda fig, path: drawn.append(fig))
    plot(*args, "unused.png")
    return drawn[0]


def test_a_zero_rate_is_drawn_as_a_stroke_on_the_axis(summary, monkeypatch):
    zero = summary.copy()
    zero["wrong_rate"] = 0.0
    strokes = len(_drawn(monkeypatch, plot_outcomes, zero).axes[0].lines)
    some = summary.copy()
    some["wrong_rate"] = 0.3
    assert strokes - len(_drawn(monkeypatch, plot_outcomes, some).axes[0].lines) == len(
        zero[zero["student"] == zero["student"].iloc[0]]
    )


def test_plot_wrong_by_knowledge(tmp_path):
    path = tmp_path / "knowledge.png"
    plot_wrong_by_knowledge(wrong_by_knowledge(_labels(), n_boot=30), path)
    _assert_png(path)


@pytest.mark.parametrize("with_fit", [True, False])
def test_plot_dose_response(summary, with_fit, tmp_path):
    fits = dose_response(design_table(_labels()), _recipes(), _series()) if with_fit else None
    if with_fit:
        assert set(fits["outcome"]) == {"wrong_rate", "wrong_among_answered", "abstain_rate"}
    path = tmp_path / "dose.png"
    plot_dose_response(summary, _recipes(), path, x="mismatch_fraction", fits=fits)
    _assert_png(path)


def test_plot_dose_response_rejects_empty_sweep_and_bad_axis(summary, tmp_path):
    with pytest.raises(InputError, match="abstention"):
        plot_dose_response(summary, _recipes(), tmp_path / "a.png", x="abstention_share")
    with pytest.raises(ValueError, match="x must be"):
        plot_dose_response(summary, _recipes(), tmp_path / "a.png", x="level")
    assert not list(tmp_path.iterdir())


def test_plot_grid_from_sweep_levels(tmp_path):
    """The grid figure draws each mismatch series' differences from level 0; it refuses a table
    with no grid series and writes nothing."""
    from mismatch.analysis.clustered import resample
    from mismatch.analysis.outcomes import person_design

    labels = _labels()
    recipes = _recipes()
    grid = {"mismatch_0.00": 0.0, "mismatch_0.50": 0.5, "mismatch_1.00": 1.0}
    specs = {
        r: {"kind": "grid", "level": x, "abstention": "teacher", "design": "replace"}
        for r, x in grid.items()
    }
    series = sweep_series(specs)
    assert [s.name for s in series] == ["grid: mismatch, abstention teacher"]
    levels = sweep_levels(recipes, resample(person_design(labels), 40, 0), series)
    assert set(levels["recipe"]) == {"mismatch_0.50", "mismatch_1.00"}
    path = tmp_path / "grid.png"
    plot_grid(levels, path)
    _assert_png(path)
    with pytest.raises(InputError, match="no grid mismatch series"):
        plot_grid(levels.assign(sweep="mismatch"), tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_plot_loss_curves(tmp_path):
    steps = np.arange(0, 50, 5)
    runs = pd.concat(
        [
            pd.DataFrame(
                {
                    "student": "stu",
                    "recipe": recipe,
                    "ft_seed": seed,
                    "step": steps,
                    "loss": scale * np.exp(-steps / 20) + 0.1 * seed,
                }
            )
            for recipe, scale in (("own", 2.0), ("large", 3.0))
            for seed in (0, 1)
        ]
    )
    table = loss_curves(runs)
    own = table[(table.recipe == "own") & (table.step == 0)].iloc[0]
    assert (own["min"], own["max"], own["n_runs"]) == (2.0, 2.1, 2)
    path = tmp_path / "loss.png"
    plot_loss_curves(table, path)
    _assert_png(path)
    with pytest.raises(InputError, match="missing columns"):
        plot_loss_curves(pd.DataFrame({"step": [0]}), tmp_path / "bad.png")


def test_plot_forest(tmp_path):
    rows = [
        dict(
            student="stu",
            treatment="large",
            control="own",
            world=w,
            kind=k,
            estimate=e,
            low=e - 0.1,
            high=e + 0.1,
        )
        for w, k, e in (
            ("1", "world", 0.6),
            ("2", "world", 0.5),
            ("these worlds", "pooled", 0.55),
            ("new worlds (k = 2)", "meta", 0.55),
        )
    ]
    path = tmp_path / "forest.png"
    plot_forest(pd.DataFrame(rows), path)
    _assert_png(path)


def test_forest_labels_every_row_under_its_contrasts_heading(monkeypatch):
    rows = [
        dict(student="stu", treatment=t, control="own", world=w, kind=k, estimate=0.5, low=0.4,
             high=0.6)
        for t in ("large", "mid")
        for w, k in (("1", "world"), ("2", "world"), ("3", "world"), ("these worlds", "pooled"))
    ]  # fmt: skip
    fig = _drawn(monkeypatch, plot_forest, pd.DataFrame(rows))
    labels = [(t.get_text(), t.get_fontweight()) for t in fig.axes[0].get_yticklabels()]
    assert labels[:5] == [
        ("stu: large - own", "bold"),
        ("world 1", "normal"),
        ("world 2", "normal"),
        ("world 3", "normal"),
        ("these worlds", "normal"),
    ]
    assert len(labels) == 10 and all(fig.axes[0].get_yticklabels()[i].get_fontsize() >= 10
                                     for i in range(10))  # fmt: skip


def test_plot_effect_by_gap_with_and_without_a_line(tmp_path):
    from test_gap import ACCURACY, RECIPES, _answers, _knowledge

    from mismatch.analysis.clustered import build_design, resample
    from mismatch.analysis.gap import gap_effects, gap_tables, teacher_gaps

    draws = resample(build_design(_answers(slope=0.5), ["wrong", "n"]), n_boot=50, seed=1)
    points, fit = gap_effects(teacher_gaps(_knowledge(), RECIPES, "small"), draws, "own")
    assert len(points) == 2 * len(ACCURACY) and not fit.empty
    path = tmp_path / "gap.png"
    plot_effect_by_gap(points, fit, path)
    _assert_png(path)
    (tmp_path / "alone").mkdir()
    plot_effect_by_gap(points, fit.iloc[:0], tmp_path / "alone" / "points_only.png")
    _assert_png(tmp_path / "alone" / "points_only.png")
    with pytest.raises(InputError, match="gap points"):
        plot_effect_by_gap(points.drop(columns="gap"), fit, tmp_path / "bad.png")
    # a truth study: two panels, the measured one with a run of the paper's regime beside it
    knowledge = _knowledge().assign(definition="truth")
    knowledge["known_rate"] = knowledge["measured_known_rate"] / 2
    points, fit = gap_tables(knowledge, RECIPES, ["small"], "own", draws)
    direct = [dict(label="paper regime (measured)", gap=0.1, estimate=0.06, low=0.01, high=0.12)]
    (tmp_path / "two").mkdir()
    figure = tmp_path / "two" / "two.png"
    plot_effect_by_gap(points, fit, figure, direct)
    _assert_png(figure)
