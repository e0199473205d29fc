"""Every example in docs/language.md is run, so the language reference cannot drift.

The conventions (also stated at the end of docs/language.md):

* A ```iom block is policy text that must load without diagnostics against
  tests/schemas. A block with no `policy` header gets the default header
  `policy test { title "docs" source "docs" applies to proposal }`, added after
  the text so that line numbers are those of the block. The file is named
  `example.iom`.
* A ```yaml block checks a document against the nearest ```iom block before it
  (with no other kind of block between; several yaml blocks may follow one
  policy, and prose may come between). The YAML holds `document:` (a
  mapping, `kind: proposal` added when absent, or YAML text, loaded as
  `proposal.yaml` so that results carry line numbers), optional `data:` and
  `as_of:`, and `expect:` with the outcome of every clause. Optional
  `explanation:`, `message:`, `location:` (`"$.path"` or `"$.path 5:3"`) and
  `severity:` give a clause's exact explanation, message, location and severity.
  Both evaluators (compiled and tracing) must agree on every outcome.
* A ```iom-error block must be refused. Its comment lines `# error: CODE` name
  the codes of all its diagnostics, in order. A ```text block immediately after
  it is the exact rendering of the diagnostics.
* A ```python block is run as it is, from the repository root. A ```text block
  immediately after it is exactly what it prints.
* Any other fenced block must be untagged (a syntax outline); it is not run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from dataclasses import dataclass

import pytest

from conftest import ROOT, TEST_SCHEMAS
from iompolicy import PolicyError, PolicySet, load_text
from iompolicy.language.builtins import AGGREGATES, BUILTINS

DOC = ROOT / "docs" / "language.md"
FILE_NAME = "example.iom"
DEFAULT_HEADER = 'policy test { title "docs" source "docs" applies to proposal }'
HEADER_RE = re.compile(r"^\s*policy\s+\S+\s*\{", re.MULTILINE)
ERROR_RE = re.compile(r"^\s*#\s*error:\s*([a-z_0-9]+)\s*$", re.MULTILINE)
FENCE_RE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
TAGS = {"iom", "iom-error", "yaml", "text", "python", ""}
OUTCOMES = {"pass", "fail", "not_applicable", "error"}
SPEC_KEYS = {"document", "data", "as_of", "expect", "explanation", "message", "location", "severity", "readings"}


@dataclass
class Block:
    tag: str
    text: str
    line: int  # of the opening fence, 1-based
    start: int
    end: int
    follows: "Block | None" = None  # the block just before, with only blank lines between
    followed_by: "Block | None" = None
    policy: "Block | None" = None  # for a yaml block: the iom block it checks

    @property
    def name(self) -> str:
        return f"{self.tag}-L{self.line}"


def _blocks() -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(match.group(1), match.group(2), line, match.start(), match.end()))
    for before, after in zip(blocks, blocks[1:]):
        if not text[before.end:after.start].strip():
            before.followed_by, after.follows = after, before
    policy = None
    for block in blocks:
        if block.tag == "yaml":
            block.policy = policy
        else:
            policy = block if block.tag == "iom" else None
    return blocks


BLOCKS = _blocks()


def _of(tag: str) -> list:
    return [pytest.param(b, id=b.name) for b in BLOCKS if b.tag == tag]


def _policy_text(block: Block) -> str:
    text = block.text
    return text if HEADER_RE.search(text) else text + "\n" + DEFAULT_HEADER + "\n"


def _load(block: Block) -> PolicySet:
    try:
        return PolicySet.from_texts({FILE_NAME: _policy_text(block)}, TEST_SCHEMAS)
    except PolicyError as error:
        pytest.fail(f"the example at docs/language.md:{block.line} is refused:\n{error.render()}")


# ---- the document itself ---------------------------------------------------------------


def test_the_doc_has_examples():
    counts = {tag: sum(b.tag == tag for b in BLOCKS) for tag in TAGS}
    assert counts["iom"] >= 30 and counts["yaml"] >= 30 and counts["iom-error"] >= 25, counts


def test_every_block_is_known_and_attached():
    for block in BLOCKS:
        where = f"docs/language.md:{block.line}"
        assert block.tag in TAGS, f"{where}: unknown block tag `{block.tag}`"
        if block.tag == "yaml":
            assert block.policy is not None, f"{where}: a yaml block must come after an iom block"
        if block.tag == "text":
            assert block.follows and block.follows.tag in ("iom-error", "python"), \
                f"{where}: a text block must follow an iom-error or python block"


def _codes_in_engine() -> set[str]:
    codes = set()
    for path in (ROOT / "iompolicy").rglob("*.py"):
        codes |= set(re.findall(r"(?:\.error|Diagnostic)\(\s*\"([a-z][a-z_0-9]*)\"", path.read_text(encoding="utf-8")))
    return codes


def test_every_diagnostic_code_has_an_example():
    shown = set()
    for block in BLOCKS:
        if block.tag == "iom-error":
            shown |= set(ERROR_RE.findall(block.text))
        if block.tag == "python":  # codes named in its assertions
            for line in block.text.splitlines():
                if line.lstrip().startswith("assert"):
                    shown |= set(re.findall(r"\"([a-z][a-z_0-9]*)\"", line))
    missing = sorted(_codes_in_engine() - shown)
    assert not missing, f"diagnostic codes with no example in docs/language.md: {missing}"


def test_every_function_and_aggregate_is_documented():
    text = DOC.read_text(encoding="utf-8")
    examples = "\n".join(b.text for b in BLOCKS if b.tag == "iom")
    for name in list(BUILTINS) + list(AGGREGATES):
        assert f"`{name}" in text, f"`{name}` is not described in docs/language.md"
        assert re.search(rf"\b{name}\(", examples), f"`{name}` has no example in docs/language.md"


# ---- policy examples -------------------------------------------------------------------


@pytest.mark.parametrize("block", _of("iom"))
def test_policy_example_loads(block):
    _load(block)


def _location(text: str) -> tuple[str, int | None, int | None]:
    path, _, position = text.partition(" ")
    if not position:
        return path, None, None
    line, column = position.split(":")
    return path, int(line), int(column)


@pytest.mark.parametrize("block", _of("yaml"))
def test_verdict_example(block):
    where = f"docs/language.md:{block.line}"
    spec = load_text(block.text, where).value
    assert set(spec) <= SPEC_KEYS, f"{where}: unknown keys {sorted(set(spec) - SPEC_KEYS)}"
    assert set(spec["expect"].values()) <= OUTCOMES, where
    policies = _load(block.policy)
    if spec.get("readings"):  # a reading of the policy's parameters, as --reading chooses it
        policies = policies.with_readings(spec["readings"])
    document = spec.get("document", {})
    if isinstance(document, str):
        document = load_text(document, "proposal.yaml")
    else:
        document = {"kind": "proposal", **document}
    data = spec.get("data")
    as_of = dt.date.fromisoformat(spec["as_of"]) if "as_of" in spec else None

    fast = policies.check(document, data=data, as_of=as_of)
    traced = policies.check(document, data=data, as_of=as_of, trace_all=True)
    shown = f"{where}:\n" + json.dumps(fast.to_dict(), indent=1, default=str)
    assert {r.clause: r.outcome.value for r in fast.results} == spec["expect"], shown
    assert {r.clause: r.outcome.value for r in traced.results} == spec["expect"], "the tracer disagrees: " + shown

    results = {r.clause: r for r in fast.results}
    for clause, text in (spec.get("explanation") or {}).items():
        assert results[clause].explanation == text.rstrip("\n"), shown
    for clause, text in (spec.get("message") or {}).items():
        assert results[clause].message == text.rstrip("\n"), shown
    for clause, severity in (spec.get("severity") or {}).items():
        assert results[clause].severity == severity, shown
    for clause, text in (spec.get("location") or {}).items():
        location = results[clause].location
        assert (location.path, location.line, location.column) == _location(text), shown


# ---- refused policies ------------------------------------------------------------------


@pytest.mark.parametrize("block", _of("iom-error"))
def test_refused_example(block):
    where = f"docs/language.md:{block.line}"
    expected = ERROR_RE.findall(block.text)
    assert expected, f"{where}: an iom-error block names its codes with `# error: CODE`"
    with pytest.raises(PolicyError) as caught:
        PolicySet.from_texts({FILE_NAME: _policy_text(block)}, TEST_SCHEMAS)
    rendered = caught.value.render()
    assert [d.code for d in caught.value.diagnostics] == expected, f"{where}:\n{rendered}"
    if block.followed_by is not None and block.followed_by.tag == "text":
        assert rendered == block.followed_by.text.rstrip("\n"), f"{where}:\n{rendered}"


# ---- Python examples -------------------------------------------------------------------


@pytest.mark.parametrize("block", _of("python"))
def test_python_example(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    output = io.StringIO()
    code = compile(block.text, f"docs/language.md:{block.line}", "exec")
    with contextlib.redirect_stdout(output):
        exec(code, {"__name__": "__docs__"})
    if block.followed_by is not None and block.followed_by.tag == "text":
        assert output.getvalue().rstrip("\n") == block.followed_by.text.rstrip("\n")
