"""SECURITY.md's threat model names, for each class of hostile input, the tests that hold
its defence: each file, test and hostile case it names must exist, so that a renamed or
removed test cannot leave the table pointing at nothing."""

from __future__ import annotations

import fnmatch
import re

import yaml

from conftest import ROOT

SECURITY = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
TABLE = SECURITY[SECURITY.index("### Every class of hostile input"):SECURITY.index("## Documents")]
ROWS = [line for line in TABLE.splitlines() if line.startswith("| ") and not line.startswith("| class")]
CASES = [case["name"] for case in yaml.safe_load((ROOT / "tests" / "hostile" / "cases.yaml").read_text())]
TEST_SOURCES = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py"))


def test_the_table_has_a_row_per_class_each_with_a_test():
    assert len(ROWS) >= 25
    for row in ROWS:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert len(cells) == 4 and all(cells), row
        assert "tests/" in cells[3] or "test_" in cells[3] or "cases.yaml" in cells[3], row


def test_every_file_test_and_case_the_table_names_exists():
    for path in set(re.findall(r"`(tests/[\w/.-]+)`", TABLE)):
        assert (ROOT / path).exists(), path
    for name in set(re.findall(r"`(test_\w+)`", TABLE)):
        assert f"def {name}(" in TEST_SOURCES, name
    for group in re.findall(r"`(?:tests/hostile/)?cases\.yaml` \(([^)]*)\)", TABLE):
        for pattern in re.findall(r"`([\w*-]+)`", group):
            assert fnmatch.filter(CASES, pattern), pattern
