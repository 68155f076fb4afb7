"""Publish a finished run's findings: its summary tables into docs/results/, its figures into
figures/, its full summary into docs/findings.md, and the headline into the README.

    .venv/bin/python tools/publish_findings.py results/worlds8 --config configs/worlds8.yaml
                                       # the study's folder; its working directory (two folders
                                       # up) holds .snakemake/log/
    .venv/bin/python tools/publish_findings.py results/exposure --config configs/exposure.yaml \
        --exposure
                                       # the exposure world's run: docs/results/exposure/,
                                       # docs/exposure.md and the README's exposure block;
                                       # add --paper-regime results/paper-regime
                                       #     configs/paper-regime.yaml
    .venv/bin/python tools/publish_findings.py results/real-small \
        --config configs/real-small.yaml --real
                                       # the real-model study: docs/results/real-small/,
                                       # docs/real-small.md and the README's real-model block
    .venv/bin/python tools/publish_findings.py --check   # exit 1 if README or findings.md differ
                                                         # from what docs/results/ renders
    .venv/bin/python tools/publish_findings.py --render  # rewrite them from docs/results/

Nothing in the README's findings block or docs/findings.md is typed by hand: both are rendered
from the committed tables, and tests/test_findings.py checks that they still are. The logic is
the library's (mismatch/publishing/); which summary files each page copies is the registry's
(mismatch/analysis/outputs.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mismatch.publishing.exposure import publish_exposure, publish_paper_regime  # noqa: E402
from mismatch.publishing.findings import publish  # noqa: E402
from mismatch.publishing.pages import render_pages, stale_pages  # noqa: E402
from mismatch.publishing.real import publish_real  # noqa: E402
from mismatch.publishing.site import SITE  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "study", nargs="?", type=Path, help="a finished study's folder (results/<study>)"
    )
    parser.add_argument(
        "--config", help="the config the run used, as given to snakemake (recorded, shown)"
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument(
        "--render",
        action="store_true",
        help="publish no run: rewrite the pages and README blocks from docs/results/ (after a "
        "change to the rendering)",
    )
    parser.add_argument(
        "--exposure", action="store_true", help="the run is of the exposure world (its own block)"
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="the run is the real-model study (docs/real-small.md and the README's real block)",
    )
    parser.add_argument(
        "--note", help="one sentence shown after the run line (e.g. the machine was shared)"
    )
    parser.add_argument(
        "--paper-regime",
        nargs=2,
        metavar=("STUDY", "CONFIG"),
        help="with --exposure: also the paper-regime run (configs/paper-regime.yaml)",
    )
    parser.add_argument(
        "--paper-regime-confirm",
        nargs=2,
        metavar=("STUDY", "CONFIG"),
        help="with --exposure: also the pre-registered confirmatory run "
        "(configs/paper-regime-confirm.yaml)",
    )
    args = parser.parse_args()
    if args.check:
        stale = stale_pages(SITE)
        if stale:
            print(
                f"out of date: {', '.join(stale)}; run tools/publish_findings.py", file=sys.stderr
            )
            return 1
        return 0
    if args.render:
        written = render_pages(SITE)
        print(f"rewritten: {', '.join(written) or 'nothing'}", file=sys.stderr)
        return 0
    if args.study is None or args.config is None:
        parser.error("give a finished study's folder and --config, or --check")
    if args.real:
        publish_real(args.study, args.config, args.note)
    elif args.exposure:
        if args.paper_regime:
            publish_paper_regime(
                Path(args.paper_regime[0]), args.paper_regime[1], SITE.paper_regime_results
            )
        if args.paper_regime_confirm:
            study, config = args.paper_regime_confirm
            publish_paper_regime(Path(study), config, SITE.confirm_results, args.note)
        publish_exposure(args.study, args.config)
    else:
        publish(args.study, args.config, args.note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
