"""The README is a front page: short, the two set-up commands, own data in five lines, and links that resolve."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from markdown.extensions.toc import slugify

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def _code_blocks(text: str) -> list[list[str]]:
    return [block.strip("\n").splitlines() for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S)]


def _anchors(page: Path) -> set[str]:
    """The ids mkdocs gives the page's headings (the toc extension's slugify, as mkdocs.yml configures it)."""
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    titles = re.findall(r"^#{1,6} (.+)$", text, flags=re.M)
    return {slugify(re.sub(r"[`*]", "", t).strip(), "-") for t in titles}


def test_the_readme_is_a_front_page_of_at_most_150_lines():
    assert len(README.splitlines()) <= 150


def test_the_two_commands_are_the_ones_that_set_up_a_fresh_machine():
    commands = [line.split("#")[0].strip() for block in _code_blocks(_section(README, "Quickstart")) for line in block]
    assert commands == ["make run", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):   # both install everything first: the venv, the pinned packages
        assert re.search(rf"^{target}: \$\(STAMP\)", makefile, flags=re.M), target
    assert "-m venv $(VENV)" in makefile and "-c constraints.txt" in makefile


def test_make_test_builds_the_site_strictly_before_the_tests():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*?\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    lines = recipe.splitlines()
    build = next(i for i, line in enumerate(lines) if "mkdocs build --strict" in line)
    pytest_line = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert build < pytest_line
    assert re.search(r"^docs: \$\(STAMP\)\n\t.*mkdocs build --strict", makefile, flags=re.M)


def test_own_data_takes_five_lines_with_churn_init():
    blocks = _code_blocks(_section(README, "Your own data"))
    assert len(blocks) == 1 and len(blocks[0]) <= 5
    assert any(line.startswith("churn init ") for line in blocks[0])
    assert any(line.startswith("dvc repro") for line in blocks[0])


def test_every_link_from_the_readme_reaches_a_page_and_heading_of_the_site():
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    assert links
    nav_pages = {page for entry in yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
                 for page in entry.values()}
    for link in links:
        path, _, anchor = link.partition("#")
        target = REPO / path
        assert target.is_file(), link
        if target.parent == REPO / "docs":
            assert target.name in nav_pages, f"{link}: not in mkdocs.yml's nav"
        if anchor:
            assert anchor in _anchors(target), f"{link}: no such heading"


def test_the_layout_names_folders_that_exist():
    block = _code_blocks(_section(README, "Layout"))[0]
    top = [line.split()[0] for line in block if line and not line.startswith(" ")]
    nested = [line.split()[0] for line in block if re.match(r"^  \w+/", line)]
    for name in top:
        assert (REPO / name).is_dir(), name
    for name in nested:
        assert (REPO / "pipeline" / name).is_dir(), name
    assert {"pipeline/", "features/", "models/", "docs/", "tests/"} <= set(top)
    assert {"stages/", "core/", "scoring/", "spark/"} <= set(nested)
