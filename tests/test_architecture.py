"""docs/architecture.md shows the real tree: every module of ``publisher/`` is named in it, every
module path it names in the tree exists, and every subpackage says what it owns and may import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import REPO

DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = REPO / "publisher"
TREE = DOC[DOC.index("## The tree"):DOC.index("## Commands")]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if p.name != "__init__.py" and "__pycache__" not in p.parts)


@pytest.mark.parametrize("module", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_is_in_the_tree(module: Path) -> None:
    assert re.search(rf"(?<![\w.]){re.escape(module.name)}(?![\w])", TREE), (
        f"docs/architecture.md: add {module.relative_to(REPO)} to the tree")


def test_every_folder_of_the_tree_exists() -> None:
    folders = re.findall(r"^\s+([a-z_]+(?:/[a-z_]+)*)/\s", TREE, re.MULTILINE)
    assert folders, "no folder found in the tree"
    for folder in folders:
        candidates = [PACKAGE / folder, *PACKAGE.glob(f"*/{folder}")]
        assert any(c.is_dir() for c in candidates), f"docs/architecture.md names {folder}/"


def test_every_file_of_the_tree_exists() -> None:
    names = set(re.findall(r"(?<![\w.])([a-z_]+\.py)\b", TREE))
    present = {p.name for p in PACKAGE.rglob("*.py")}
    assert names - present == set(), "docs/architecture.md names missing modules"


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")),
                         ids=lambda p: str(p.parent.relative_to(REPO)))
def test_every_subpackage_says_what_it_owns(init: Path) -> None:
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert len(doc) > 60, f"{init.relative_to(REPO)}: say what the package owns"
    if init.parent.parent == PACKAGE:
        assert "may import" in doc.lower(), f"{init.relative_to(REPO)}: say what it may import"
