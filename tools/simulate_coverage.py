"""Print the simulation check of the person-level interval (numbers for docs/statistics.md).

Usage: python tools/simulate_coverage.py [n_datasets] [n_boot]
"""

import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mismatch.simulation import SimulationSettings, coverage  # noqa: E402


def main() -> None:
    n_datasets = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    n_boot = int(sys.argv[2]) if len(sys.argv) > 2 else 400
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
