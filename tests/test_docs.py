"""The documentation stays true to the code, and its links lead somewhere."""

import re
from pathlib import Path

from offline.docs import REFERENCE, reference, reference_block

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")
CODE_SPAN = re.compile(r"(`+).+?\1")


def test_the_configuration_reference_is_current():
    assert REFERENCE == ROOT / "docs" / "configuration.md"
    assert reference_block() == reference(), "run: python -m offline.docs --write"


def test_the_reference_lists_every_leaf_key_with_a_description():
    rows = [line for line in reference().splitlines() if line.startswith("| `shipyard:")]
    assert len(rows) >= 15
    assert all(line.rstrip().rsplit("|", 2)[-2].strip() for line in rows)


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in _prose(path.read_text()):
        match = re.match(r"#{1,6} (.+)", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_the_slug_is_githubs():
    assert slug("Runbook: PodRestartingOften") == "runbook-podrestartingoften"
    assert slug("Known limits (next steps)") == "known-limits-next-steps"
    assert slug("Where the seeds' choices are outdated") == "where-the-seeds-choices-are-outdated"


def test_the_readme_fits_on_a_screen_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    linked = {target.split("#")[0] for line in _prose(readme) for target in LINK.findall(line)}
    pages = {f"docs/{page.name}" for page in PAGES[1:]}
    assert pages and pages <= linked


def test_every_docs_page_opens_with_a_title_and_an_intro():
    for page in PAGES[1:]:
        lines = page.read_text().splitlines()
        assert lines[0].startswith("# "), page.name
        intro = next(line for line in lines[1:] if line.strip())
        assert not intro.startswith("#"), page.name


def test_every_relative_link_points_to_a_file_and_heading_that_exist():
    broken = []
    for page in PAGES:
        for line in _prose(page.read_text()):
            # not in code spans: a pattern in the reference can look like a link
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                if re.match(r"[a-z][a-z0-9+.-]*:", target):      # https:, mailto:, ...
                    continue
                path, _, anchor = target.partition("#")
                file = (page.parent / path).resolve() if path else page
                if not file.exists():
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
                elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []
