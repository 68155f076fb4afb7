"""Whether the published pages and README blocks are what the committed tables render."""

from __future__ import annotations

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
    EXPOSURE_END,
    EXPOSURE_START,
    REAL_END,
    REAL_START,
    SITE,
    Site,
)


def stale_pages(site: Site = SITE) -> list[str]:
    """The pages and README blocks that differ from what the committed tables render."""
    block, page = rendered(site)
    readme = site.readme.read_text()
    checks = [
        ("README.md", readme_with(block, readme) == readme),
        ("docs/findings.md", site.findings.read_text() == page),
    ]
    if (site.exposure_results / "run.json").exists():
        checks.append(
            ("docs/exposure.md", site.exposure_page.read_text() == exposure_rendered(site))
        )
        if EXPOSURE_START in readme:
            block = exposure_readme_block(site)
            fresh = readme_with(block, readme, EXPOSURE_START, EXPOSURE_END) == readme
            checks.append(("README.md (exposure block)", fresh))
    if (site.confirm_results / "run.json").exists() and CONFIRM_START in readme:
        fresh = readme_with(confirm_readme_block(site), readme, CONFIRM_START, CONFIRM_END)
        checks.append(("README.md (confirmation block)", fresh == readme))
    if (site.real_results / "run.json").exists():
        block, page = real_rendered(site)
        checks.append(("docs/real-small.md", site.real_page.read_text() == page))
        fresh = readme_with(block, readme, REAL_START, REAL_END) == readme
        checks.append(("README.md (real-model block)", fresh))
    return [name for name, ok in checks if not ok]
