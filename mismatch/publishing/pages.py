"""The published pages and README blocks, each rendered from the committed tables: checked
against the files (``tools/publish_findings.py --check``) or written (``--render``, after a
change to the rendering, with no run to publish)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mismatch.publishing.exposure import (
    confirm_readme_block,
    exposure_readme_block,
    exposure_rendered,
)
from mismatch.publishing.findings import rendered
from mismatch.publishing.real import real_rendered
from mismatch.publishing.runs import readme_with
from mismatch.publishing.site import (
    CONFIRM_END,
    CONFIRM_START,
    END,
    EXPOSURE_END,
    EXPOSURE_START,
    REAL_END,
    REAL_START,
    SITE,
    START,
    Site,
)


def _pages(site: Site) -> list[tuple[str, Path, Callable[[str], str]]]:
    """(name, file, its text from the file's current text) for every page and README block the
    committed runs render."""

    def whole(text: str) -> Callable[[str], str]:
        return lambda current: text

    def block(text: str, start: str, end: str) -> Callable[[str], str]:
        return lambda current: readme_with(text, current, start, end)

    readme = site.readme.read_text()
    findings_block, findings_page = rendered(site)
    pages = [
        ("README.md", site.readme, block(findings_block, START, END)),
        ("docs/findings.md", site.findings, whole(findings_page)),
    ]
    if (site.exposure_results / "run.json").exists():
        pages.append(("docs/exposure.md", site.exposure_page, whole(exposure_rendered(site))))
        if EXPOSURE_START in readme:
            text = exposure_readme_block(site)
            pages.append(
                (
                    "README.md (exposure block)",
                    site.readme,
                    block(text, EXPOSURE_START, EXPOSURE_END),
                )
            )
    if (site.confirm_results / "run.json").exists() and CONFIRM_START in readme:
        text = confirm_readme_block(site)
        pages.append(
            ("README.md (confirmation block)", site.readme, block(text, CONFIRM_START, CONFIRM_END))
        )
    if (site.real_results / "run.json").exists():
        real_block, real_page = real_rendered(site)
        pages.append(("docs/real-small.md", site.real_page, whole(real_page)))
        pages.append(
            ("README.md (real-model block)", site.readme, block(real_block, REAL_START, REAL_END))
        )
    return pages


def stale_pages(site: Site = SITE) -> list[str]:
    """The pages and README blocks that differ from what the committed tables render."""
    stale = []
    for name, path, render in _pages(site):
        current = path.read_text()
        if render(current) != current:
            stale.append(name)
    return stale


def render_pages(site: Site = SITE) -> list[str]:
    """Write every page and README block from the committed tables; the names rewritten."""
    written = []
    for name, path, render in _pages(site):
        current = path.read_text()
        fresh = render(current)
        if fresh != current:
            path.write_text(fresh)
            written.append(name)
    return written
