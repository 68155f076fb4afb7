"""Run the summary stage's analysis on a finished run's results/ without Snakemake (read-only),
writing the summary tables and summary.md to another folder; prints the headline JSON.

Usage: python tools/summarize_results.py RUN_DIR OUT_DIR [CONFIG]   (CONFIG: default config.yaml)
RUN_DIR is the folder holding results/ (e.g. a finished default run).
"""

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from jsonschema import Draft202012Validator, validators  # noqa: E402

from mismatch import configuration as cfg  # noqa: E402
from mismatch.analysis import AnalysisSettings, analyse  # noqa: E402
from mismatch.gathering import (  # noqa: E402
    base_student_labels,
    collect_checks,
    collect_knowledge,
    collect_labels,
    collect_losses,
    collect_questions,
    collect_recipes,
)
from mismatch.io import write_csv, write_json, write_text  # noqa: E402
from mismatch.rendering import study_markdown  # noqa: E402

PATTERNS = {
    "base": "results/w{w}/answers/{student}/test.parquet",
    "checks": "results/w{w}/checks/{student}.json",
    "losses": "results/w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv",
    "questions": "results/w{w}/questions/test.parquet",
}


def _with_defaults(config: dict) -> dict:
    """The config with the schema's defaults filled in (as snakemake.utils.validate does)."""
    schema = yaml.safe_load((REPO / "schemas" / "config.schema.yaml").read_text())

    def set_defaults(validator, properties, instance, schema):
        for name, sub in properties.items():
            if isinstance(instance, dict) and "default" in sub:
                instance.setdefault(name, sub["default"])
        yield from validators.Draft202012Validator.VALIDATORS["properties"](
            validator, properties, instance, schema
        )

    extended = validators.extend(Draft202012Validator, {"properties": set_defaults})
    extended(schema).validate(config)
    return config


def main() -> None:
    run_dir, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    config_path = Path(sys.argv[3]) if len(sys.argv) > 3 else REPO / "config.yaml"
    config = _with_defaults(yaml.safe_load(config_path.read_text()))
    cfg.expand_sweeps(config)
    os.chdir(run_dir)
    worlds, students = config["seeds"]["world"], config["students"]
    runs = [
        (w, s, r, f)
        for w in worlds
        for s in students
        for r in config["recipes"]
        for f in config["seeds"]["finetune"]
    ]
    base = [PATTERNS["base"].format(w=w, student=s) for w in worlds for s in students]
    grading = config["answering"]["grading"]
    labels = collect_labels([f"results/w{w}/labels/{s}/{r}/ft{f}.parquet" for w, s, r, f in runs])
    labels = pd.concat(
        [labels, base_student_labels(base, PATTERNS["base"], grading)], ignore_index=True
    )
    analysis = config["analysis"]
    tables = analyse(
        labels,
        collect_questions(
            [PATTERNS["questions"].format(w=w) for w in worlds],
            PATTERNS["questions"],
            analysis["cluster"],
        ),
        collect_recipes(
            [
                f"results/w{w}/sets/{s}/{r}.parquet"
                for w in worlds
                for s in students
                for r in config["recipes"]
            ]
        ),
        collect_losses(
            [PATTERNS["losses"].format(w=w, student=s, recipe=r, seed=f) for w, s, r, f in runs],
            PATTERNS["losses"],
        ),
        AnalysisSettings(
            recipes=config["recipes"],
            grading=grading,
            primary=analysis["primary"],
            n_boot=config["summary"]["n_boot"],
            n_flips=analysis["n_flips"],
        ),
    )
    knowledge = collect_knowledge(
        [f"results/w{w}/knowledge/{m}.json" for w in worlds for m in config["models"]]
    )
    checks = collect_checks(
        [PATTERNS["checks"].format(w=w, student=s) for w in worlds for s in students],
        PATTERNS["checks"],
    )
    for name, table in tables.items():
        if name not in ("headline", "labels"):
            write_csv(table, out / f"{name}.csv")
    write_json(tables["headline"], out / "headline.json")
    write_text(
        study_markdown(tables, knowledge, checks, config["summary"]["title"]), out / "summary.md"
    )
    print(json.dumps(tables["headline"], indent=2))


if __name__ == "__main__":
    main()
