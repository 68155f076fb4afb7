"""Print the simulation check of the person-level interval (numbers for docs/statistics.md).

Usage: python tools/simulate_coverage.py [n_datasets] [n_boot]
"""

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mismatch.analysis.simulation import SimulationSettings, coverage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_datasets", type=int, nargs="?", default=1000)
    parser.add_argument("n_boot", type=int, nargs="?", default=400)
    args = parser.parse_args()
    n_datasets, n_boot = args.n_datasets, args.n_boot
    settings = SimulationSettings()
    result = coverage(settings, n_datasets=n_datasets, n_boot=n_boot)
    report = {
        "settings": dataclasses.asdict(settings),
        **dataclasses.asdict(result),
        "person_width_ratio": result.person_width_ratio,
        "question_width_ratio": result.question_width_ratio,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
