"""The README fits on a page and links only pages that exist; the configuration page is the one
generated from the schema and names every key."""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import config_docs  # noqa: E402

# Pages written on other branches of the same issue; drop an entry once its page is merged.
PENDING: set[str] = set()  # linked pages still to be written


def test_configuration_page_is_generated_from_the_schema():
    assert config_docs.main(["--check"]) == 0, "run .venv/bin/python tools/config_docs.py"


def schema_keys(schema, node, prefix=""):
    node = config_docs.resolve(schema, node)
    for key, child in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        yield from schema_keys(schema, child, path)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        yield from schema_keys(
            schema, extra, f"{prefix}.{'<model>' if prefix == 'models' else '<name>'}"
        )


def test_every_schema_key_is_documented():
    schema = yaml.safe_load(config_docs.SCHEMA.read_text())
    page = (ROOT / "docs" / "configuration.md").read_text()
    keys = list(schema_keys(schema, schema))
    assert len(keys) > 100
    missing = [key for key in keys if f"`{key}`" not in page]
    assert not missing, missing


def test_readme_fits_on_a_page():
    assert len((ROOT / "README.md").read_bytes()) <= 10_000


def test_links_in_readme_and_docs_exist():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if target.startswith("http"):
                continue
            path = (page.parent / target).resolve()
            relative = path.relative_to(ROOT).as_posix()
            assert path.exists() or relative in PENDING, f"{page.name} links missing {target}"


def test_readme_findings_block_is_marked_for_the_generator():
    text = (ROOT / "README.md").read_text()
    assert text.count("<!-- findings:start -->") == 1 and text.count("<!-- findings:end -->") == 1
    assert text.index("<!-- findings:start -->") < text.index("<!-- findings:end -->")


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub writes it."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"\s", "-", text)


def _anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {_slug(h) for h in headings}


def test_every_pointer_in_configs_and_docs_resolves_with_its_anchor():
    """A config comment or a page that names docs/<page>.md#<anchor> points at a page and a
    heading that exist."""
    sources = [ROOT / "config.yaml", *sorted((ROOT / "configs").glob("*.yaml"))]
    sources += [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    checked = 0
    for source in sources:
        text = source.read_text()
        for page, anchor in re.findall(r"(docs/[\w.-]+\.md)(?:#([\w-]+))?", text):
            target = ROOT / page
            assert target.is_file(), f"{source.name} points at missing {page}"
            if anchor:
                assert anchor in _anchors(target), f"{source.name}: {page}#{anchor} has no heading"
            checked += 1
        if source.suffix == ".md":
            for page, anchor in re.findall(r"\]\(([\w./-]*\.md)?#([\w-]+)\)", text):
                target = (source.parent / page) if page else source
                assert anchor in _anchors(target), f"{source.name}: {page}#{anchor}"
                checked += 1
    assert checked > 10


def test_ci_runs_the_readmes_test_command():
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.endswith(".venv/bin/pytest"))
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()
