"""Recompute a published run's "new worlds" rows from its per-world table with the current
pooling (mismatch.analysis.clustered.pool_worlds), in place: contrasts.csv's new_worlds_* columns,
per_world.csv's meta rows and headline.json's primary new-worlds numbers.

    .venv/bin/python tools/repool_published.py docs/results
    .venv/bin/python tools/publish_findings.py --check   # then re-render: publish_findings.py

The per-world estimates and standard errors are the run's own (its bootstrap); only the pooling
across worlds is recomputed, so the published numbers follow a change of that method without
rerunning the study. docs/statistics.md says which rows were recomputed and why.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.analysis.clustered import pool_worlds  # noqa: E402
from mismatch.analysis.tables import new_worlds_columns, world_sign_test  # noqa: E402

KEYS = ["role", "student", "treatment", "control"]


def repooled(per_world: pd.DataFrame) -> dict[tuple, dict]:
    """The new-worlds numbers of every contrast of a per-world table."""
    pooled = {}
    for key, rows in per_world.groupby(KEYS, sort=False):
        worlds = rows[rows["kind"] == "world"]
        meta = pool_worlds(worlds["estimate"], worlds["se"], worlds["n_persons"])
        pooled[key] = {
            **new_worlds_columns(meta),
            "se": meta.se,
            **world_sign_test(worlds["estimate"].tolist()),
        }
    return pooled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a published results folder (docs/results)")
    args = parser.parse_args(argv)
    per_world = pd.read_csv(args.folder / "per_world.csv")
    contrasts = pd.read_csv(args.folder / "contrasts.csv")
    pooled = repooled(per_world)
    changes = []
    for i, row in contrasts.iterrows():
        new = pooled[tuple(row[KEYS])]
        before = [row["new_worlds_estimate"], row["new_worlds_low"], row["new_worlds_high"]]
        after = [new["new_worlds_estimate"], new["new_worlds_low"], new["new_worlds_high"]]
        if any(abs(a - b) >= 5e-4 for a, b in zip(after, before, strict=True)):  # 0.05 points
            changes.append({**{k: row[k] for k in KEYS}, "before": before, "after": after})
        for column, value in pooled[tuple(row[KEYS])].items():
            if column in contrasts.columns and column != "se":
                contrasts.loc[i, column] = value
    for i, row in per_world[per_world["kind"] == "meta"].iterrows():
        new = pooled[tuple(row[KEYS])]
        per_world.loc[i, ["estimate", "low", "high", "se"]] = [
            new["new_worlds_estimate"], new["new_worlds_low"], new["new_worlds_high"], new["se"]
        ]  # fmt: skip
    contrasts.to_csv(args.folder / "contrasts.csv", index=False)
    per_world.to_csv(args.folder / "per_world.csv", index=False)
    headline_path = args.folder / "headline.json"
    headline = json.loads(headline_path.read_text())
    primary = headline["primary"]
    new = pooled[tuple(primary.get(k, "primary") for k in KEYS)]
    for column in ("new_worlds_estimate", "new_worlds_low", "new_worlds_high",
                   "new_worlds_p_value"):  # fmt: skip
        primary[column] = new[column]
    headline_path.write_text(json.dumps(headline, indent=2, sort_keys=True) + "\n")
    record = {
        "method": "mismatch.analysis.clustered.pool_worlds: per-world variances floored at the "
        "Haldane-Anscombe binomial minimum for the world's persons (docs/statistics.md)",
        "from": "per_world.csv (the run's per-world estimates and bootstrap standard errors)",
        "changed": changes,
    }
    target = args.folder / "repooled.json"
    if changes or not target.exists():  # a rerun that changes nothing keeps the record
        target.write_text(json.dumps(record, indent=2) + "\n")
    print(f"re-pooled {len(pooled)} contrasts of {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
