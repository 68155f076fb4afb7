"""Recompute a study's analysis tables from its gathered inputs and compare them with its own.

    .venv/bin/python tools/recompute_tables.py results/default/summary --config config.yaml
    .venv/bin/python tools/recompute_tables.py docs/results          # a published run (run.json
                                                                     # names its config)
    .venv/bin/python tools/recompute_tables.py --all                 # every published run

The inputs are what the `analyse` rule reads: `inputs/` (every labelled answer, the test
questions with their clusters, the fine-tuning sets, the loss curves, the fact probes) and
`knowledge.csv`. Exit 1 and the files' names where a recomputed table differs from the folder's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.analysis.study_tables import analysis_tables  # noqa: E402
from mismatch.analysis.summary_files import (  # noqa: E402
    differing_tables,
    input_paths,
    read_inputs,
    table_paths,
)
from mismatch.analysis.tables import AnalysisSettings  # noqa: E402
from mismatch.configuration import expand_sweeps, layered_config, validated  # noqa: E402


def settings_of(config_path: Path) -> AnalysisSettings:
    """The analysis settings of the config a run used (its layers and the schema's defaults)."""
    config = validated(layered_config([config_path]))
    expand_sweeps(config)
    return AnalysisSettings(
        recipes=config["recipes"],
        grading=config["answering"]["grading"],
        primary=config["analysis"]["primary"],
        n_boot=config["summary"]["n_boot"],
        n_flips=config["analysis"]["n_flips"],
    )


def published_folders(root: Path) -> list[Path]:
    """Every published run under ``root`` (docs/results): the folders with a run record."""
    return sorted(run.parent for run in root.rglob("run.json"))


def recompute(folder: Path, config: Path | None) -> int:
    """Recompute one folder's tables and compare them; 0 when every table is identical."""
    if config is None:
        run = folder / "run.json"
        if not run.is_file():
            print(f"error: {folder}: no run.json naming the config; give --config", file=sys.stderr)
            return 1
        config = ROOT / json.loads(run.read_text())["config"]
    if not (folder / "inputs").is_dir():
        print(f"error: {folder}/inputs: no gathered inputs to recompute from", file=sys.stderr)
        return 1
    inputs = read_inputs(input_paths(folder / "inputs"))
    tables = analysis_tables(inputs, pd.read_csv(folder / "knowledge.csv"), settings_of(config))
    paths = table_paths(folder)
    differing = differing_tables(paths, tables)
    print(f"recomputed {len(paths)} tables of {folder} from {folder}/inputs with {config}")
    if differing:
        print(f"differ: {', '.join(differing)}", file=sys.stderr)
        return 1
    print("every table is identical")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", type=Path, nargs="?", help="a summary folder with inputs/ beside its tables"
    )
    parser.add_argument("--config", type=Path, help="the config the run used (else run.json's)")
    parser.add_argument(
        "--all", action="store_true", help="every published run under docs/results/"
    )
    args = parser.parse_args(argv)
    if args.all:
        folders = published_folders(ROOT / "docs" / "results")
        return max(recompute(folder, None) for folder in folders)
    if args.folder is None:
        parser.error("give a folder, or --all")
    return recompute(args.folder, args.config)


if __name__ == "__main__":
    raise SystemExit(main())
