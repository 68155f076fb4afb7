"""List, compare and clean the studies run from this checkout (one folder each under results/).

clean deletes only a folder the workflow wrote (with its .mismatch-study.json marker) directly
under this checkout's results/; anything else is refused in one line.

.venv/bin/python tools/studies.py list                      # every study, finished or not
.venv/bin/python tools/studies.py compare default controls  # outcome rates side by side
.venv/bin/python tools/studies.py clean exposure --yes      # delete one study's folder
.venv/bin/python tools/studies.py progress default          # a running study: time left
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.errors import InputError  # noqa: E402
from mismatch.plan_estimate import study_progress  # noqa: E402
from mismatch.studies import (  # noqa: E402
    RESULTS_ROOT,
    comparison_table,
    headline_line,
    list_studies,
)
from mismatch.study_state import (  # noqa: E402
    deletable_study,
    published_studies,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--root", default=None, help="folder holding the study folders (default: results/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every study folder, with its headline")
    compare = commands.add_parser("compare", help="outcome rates of several studies")
    compare.add_argument("studies", nargs="+")
    progress = commands.add_parser("progress", help="a running study's jobs and time left")
    progress.add_argument("study")
    progress.add_argument("--cores", type=int, default=2)
    clean = commands.add_parser("clean", help="delete one study's folder")
    clean.add_argument("study")
    clean.add_argument("--yes", action="store_true", help="really delete")
    args = parser.parse_args(argv)
    root = Path(args.root if args.root is not None else RESULTS_ROOT)

    if args.command == "list":
        records = list_studies(root, published_studies([ROOT / "docs" / "results"]))
        if not records:
            print(f"no studies under {root}/")
        for record in records:
            print(f"{record.name:<20} {record.state:<11} {record.folder}/")
            if record.headline:
                print(f"    {headline_line(record.headline)}")
        return 0
    if args.command == "compare":
        try:
            table = comparison_table(root / name for name in args.studies)
        except InputError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return 0
    if args.command == "progress":
        try:
            print(study_progress(root / args.study, args.cores))
        except InputError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    try:
        given = ROOT / RESULTS_ROOT if args.root is None else Path(args.root)
        folder = deletable_study(ROOT / RESULTS_ROOT, given, args.study)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not args.yes:
        print(f"would delete {folder}/ (add --yes)")
        return 0
    shutil.rmtree(folder)
    print(f"deleted {folder}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
