"""The config's sweeps as recipes: one recipe per level of the mismatch and abstention sweeps
and per cell of the mismatch x abstention grid (``expand_sweeps``), named the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SELF = "self"  # recipes.<name>.teacher: the student itself (the own recipe)
OTHER = "other"  # the other model of a two-model study


def expand_sweeps(config: dict[str, Any]) -> None:
    """Add one recipe per level of each configured sweep to ``config["recipes"]``.

    A level's recipe holds only what shapes its own set (not the other levels), so adding a level
    leaves the existing levels' jobs untouched; whether every level can be filled is checked once
    per world and student by ``sweep_fill``.
    """
    sweeps = config["sweeps"]
    if "mismatch" in sweeps:
        sweep = sweeps["mismatch"]
        for level in sweep["levels"]:
            config["recipes"][f"mismatch_{level:.2f}"] = {
                "kind": "mismatch",
                "sweep": "mismatch",
                "teacher": sweep["teacher"],
                "level": level,
                "abstention_share": sweep["abstention_share"],
            }
    if "abstention" in sweeps:
        levels = sweeps["abstention"]["levels"]
        for level in levels:
            config["recipes"][f"abstention_{level:.2f}"] = {
                "kind": "abstention",
                "sweep": "abstention",
                "teacher": SELF,
                "level": level,
            }
    if "grid" in sweeps:
        config["recipes"].update(grid_recipes(sweeps["grid"]))


def grid_recipes(grid: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """One recipe per cell of ``sweeps.grid``: every (mismatch, abstention) pair in the replace
    design, then every (fixed_known level, abstention) pair in the add design."""
    cells = [(m, a, "replace") for a in grid["abstention"] for m in grid["mismatch"]]
    cells += [(m, a, "add") for a in grid["abstention"] for m in grid.get("fixed_known", [])]
    return {
        grid_recipe_name(m, a, design): {
            "kind": "grid",
            "sweep": "grid",
            "teacher": grid["teacher"],
            "level": m,
            "abstention": a,
            "design": design,
        }
        for m, a, design in cells
    }


def grid_recipe_name(mismatch: float, abstention: float | str, design: str = "replace") -> str:
    """The recipe name of one grid cell: grid_m0.50_a0.25, grid_m0.00_ateacher, ..._added."""
    share = abstention if isinstance(abstention, str) else f"{abstention:.2f}"
    return f"grid_m{mismatch:.2f}_a{share}" + ("_added" if design == "add" else "")
