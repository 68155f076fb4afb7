"""Where a checkout keeps its published runs, pages and figures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

START, END = "<!-- findings:start -->", "<!-- findings:end -->"
EXPOSURE_START, EXPOSURE_END = "<!-- exposure:start -->", "<!-- exposure:end -->"
CONFIRM_START, CONFIRM_END = "<!-- confirm:start -->", "<!-- confirm:end -->"
REAL_START, REAL_END = "<!-- real:start -->", "<!-- real:end -->"
PREREGISTRATION = "docs/preregistration/paper-regime.md"


@dataclass(frozen=True)
class Site:
    """The published files of the checkout at ``root``."""

    root: Path

    @property
    def results(self) -> Path:
        return self.root / "docs" / "results"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def findings(self) -> Path:
        return self.root / "docs" / "findings.md"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def exposure_results(self) -> Path:
        return self.results / "exposure"

    @property
    def exposure_page(self) -> Path:
        return self.root / "docs" / "exposure.md"

    @property
    def exposure_figures(self) -> Path:
        return self.figures / "exposure"

    @property
    def paper_regime_results(self) -> Path:
        return self.exposure_results / "paper-regime"

    @property
    def confirm_results(self) -> Path:
        return self.exposure_results / "paper-regime-confirm"

    @property
    def real_results(self) -> Path:
        return self.results / "real-small"

    @property
    def real_page(self) -> Path:
        return self.root / "docs" / "real-small.md"

    @property
    def real_figures(self) -> Path:
        return self.figures / "real-small"


SITE = Site(Path(__file__).resolve().parents[2])  # this checkout
