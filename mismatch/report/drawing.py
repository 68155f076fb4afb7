"""The figure step: every registered figure a study has (``mismatch.analysis.outputs.FIGURES``)
drawn from its table files by its figure function (``mismatch.report.figure_step``)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from mismatch.analysis.outputs import FIGURES
from mismatch.analysis.summary_files import read_table

PathLike = str | os.PathLike


def draw_figures(tables: Mapping[str, PathLike], figures: Mapping[str, PathLike]) -> list[str]:
    """Draw each registered figure named in ``figures`` (name -> file) from the table files
    ``tables`` (name -> file); the names drawn."""
    read = {name: read_table(path) for name, path in tables.items()}
    drawn = []
    for name, figure in FIGURES.items():
        if name in figures:
            figure.draw({table: read[table] for table in figure.tables}, figures[name])
            drawn.append(name)
    return drawn
