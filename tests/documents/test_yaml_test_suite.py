"""The official YAML test suite (yaml/yaml-test-suite, release data-2022-01-17, MIT; the
cases are in tests/yaml-test-suite/) through iompolicy's YAML reader, with libyaml's
parser and with PyYAML's pure-Python one.

- Every case the reader accepts must read as the suite's JSON says.
- Every invalid case must be refused.
- A valid case may be refused only for a reason listed in `DELIBERATE` (SECURITY.md
  lists the same), or when it is a stream of several documents (a file holds one).
- Both parsers accept the same cases and read them alike: the behaviour does not depend
  on whether libyaml is installed.

Of the 402 cases (94 invalid), 162 are read, each as its JSON; the refusals of valid
YAML, by reason, are listed in SECURITY.md.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from iompolicy.documents import DocumentError
from iompolicy.documents.yaml_reader import PureLoader, parse_yaml
from iompolicy.limits import DEFAULT_LIMITS

SUITE = json.loads((Path(__file__).parent.parent / "yaml-test-suite" / "cases.json").read_text(encoding="utf-8"))
CASES = {case["id"]: case for case in SUITE["cases"]}
PARSERS = {"pure": PureLoader}
if hasattr(yaml, "CSafeLoader"):
    PARSERS["libyaml"] = yaml.CSafeLoader

# Valid YAML that the reader refuses on purpose, by the code of the refusal. Each is a
# reading the loader will not guess at (SECURITY.md, "The YAML test suite").
DELIBERATE = {
    "unsupported_tag": "a tag other than `!!str` and the core ones (`!local`, `!!set`, `tag:example.com,...`)",
    "explicit_tag": "a core tag (`!!int`, `!!float`...) or `!` on what PyYAML would not read as text",
    "key_not_text": "a key that is not text: a number, null, a list, a mapping, or an alias of one",
    "several_documents": "a stream of more than one document",
    "merge_key": "a merge key `<<`",
    "yaml11_number": "a YAML 1.1 number notation that YAML 1.2 reads otherwise",
    "tab": "a tab character (YAML forbids it as indentation; the two parsers disagree elsewhere)",
    "tab_indent": "a tab in a line's indentation (said as such: YAML indents with spaces only)",
    "directive": "a directive (`%YAML`, `%TAG`)",
    "yaml_quirk": "a text that PyYAML's parsers read otherwise than YAML says, or disagree on (`_Quirks`)",
}
# Valid cases that PyYAML's parsers cannot read at all (refused as not valid YAML).
PARSER_REFUSES = {"2JQS", "4MUZ/00", "4MUZ/01", "4MUZ/02", "58MP", "5MUD", "5T43", "6M2F", "7Z25", "8XYN", "9SA2",
                  "CFD4", "DBG4", "DK3J", "FP8R", "FRK4", "HM87/00", "HWV9", "JR7V", "K3WX", "NHX8", "NJ66", "NKF9",
                  "QT73", "S3PD", "SM9W/01", "UKK6/00", "UT92", "VJP3/01", "W5VH",
                  "4ABK"}  # libyaml refuses `omitted value:,`; with the pure parser `_Quirks` does


def _json_values(text: str) -> list:
    """The JSON values of a case, in order (a stream may hold several), numbers exact."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    values, position = [], 0
    text = text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


def _same(read, expected) -> bool:
    """Equal as JSON values: booleans are not numbers, 1 == 1.0."""
    if isinstance(expected, bool) or isinstance(read, bool):
        return type(read) is type(expected) and read == expected
    if isinstance(expected, dict):
        return isinstance(read, dict) and read.keys() == expected.keys() and \
            all(_same(read[k], expected[k]) for k in expected)
    if isinstance(expected, list):
        return isinstance(read, list) and len(read) == len(expected) and all(map(_same, read, expected))
    if isinstance(expected, (int, Decimal)):
        return isinstance(read, (int, Decimal)) and read == expected
    return read == expected


def _read(case: dict, parser) -> tuple[str, object]:
    """("read", value) or ("refused", code)."""
    try:
        value, *_ = parse_yaml(case["yaml"], "case.yaml", DEFAULT_LIMITS, parser)
    except DocumentError as error:
        return "refused", error.problems[0].code
    return "read", value


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_yaml_test_suite_case(case_id, parser):
    case = CASES[case_id]
    outcome, result = _read(case, PARSERS[parser])
    where = f"{case_id} ({case['name']}) with the {parser} parser"
    if case["error"]:
        assert outcome == "refused", f"{where}: invalid YAML was read as {result!r}"
        return
    if outcome == "refused":
        assert result in DELIBERATE or result == "invalid_yaml" and case_id in PARSER_REFUSES, \
            f"{where}: valid YAML refused ({result}), and not on purpose"
        return
    assert case["json"] is not None, f"{where}: read, but the suite gives no JSON to compare"
    expected = _json_values(case["json"])
    if not expected:  # a stream of no document (comments only): nothing to read
        assert result is None, f"{where}: an empty stream was read as {result!r}"
        return
    assert len(expected) == 1, f"{where}: a stream of {len(expected)} documents was read as one"
    assert _same(result, expected[0]), f"{where}: read as {result!r}, YAML says {expected[0]!r}"


def test_both_parsers_accept_the_same_cases_alike():
    if len(PARSERS) < 2:
        pytest.skip("libyaml is not installed: only the pure-Python parser can be tested")
    differ = []
    for case_id, case in sorted(CASES.items()):
        outcomes = {name: _read(case, parser) for name, parser in PARSERS.items()}
        kinds = {outcome for outcome, _ in outcomes.values()}
        if len(kinds) > 1 or ("read" in kinds and not _same(*[value for _, value in outcomes.values()])):
            differ.append(f"{case_id} ({case['name']}): {outcomes}")
    assert not differ, "\n".join(differ)


def test_the_suite_is_whole():
    assert SUITE["release"] == "data-2022-01-17" and len(CASES) == 402
    assert sum(case["error"] for case in CASES.values()) == 94



def test_most_valid_single_documents_are_read():
    """The refusals stay the exception, and none is added unnoticed: of the suite's valid
    cases, exactly the 162 that SECURITY.md counts are read, with either parser (a shortcut
    of the reader that refused `this is#not: a comment` passed a bound of "at least 160")."""
    for parser in PARSERS.values():
        read = [case_id for case_id, case in CASES.items() if not case["error"] and _read(case, parser)[0] == "read"]
        assert len(read) == 162, len(read)


def test_the_positions_noted_while_reading_are_those_a_second_reading_finds():
    """The positions and written texts the reader notes as it loads a document (kept so a
    failing document is not read again) are the table a reading of the text alone makes,
    for every case of the suite that reads; a case with an alias is not noted (its table
    is made by the second reading, when asked for)."""
    from iompolicy.documents.document import _tables

    compared = not_noted = 0
    for case_id, case in sorted(CASES.items()):
        try:
            value, _, noted = parse_yaml(case["yaml"], "case.yaml", DEFAULT_LIMITS)
        except DocumentError:
            continue
        if value is None:
            continue
        if noted is None:
            assert "*" in case["yaml"], f"{case_id} ({case['name']}): not noted, yet it has no alias"
            not_noted += 1
            continue
        assert noted == _tables(case["yaml"]), f"{case_id} ({case['name']})"
        compared += 1
    assert compared >= 120 and not_noted >= 5, (compared, not_noted)


def test_the_reader_shows_the_quirk_checks_every_node_that_could_be_refused(monkeypatch):
    """The reader shows `_Quirks` only the nodes a quirk can be in (anchored, quoted or
    block style, in a flow collection; all of them when the text has `#` right after other
    text). Shown every node, it reads and refuses every case of the suite alike, with both
    parsers: the nodes it skips are none a check would refuse."""
    from iompolicy.documents import yaml_reader

    def outcomes() -> dict:
        found = {}
        for (case_id, case), (name, parser) in ((c, p) for c in sorted(CASES.items()) for p in PARSERS.items()):
            try:
                found[case_id, name] = parse_yaml(case["yaml"], "case.yaml", DEFAULT_LIMITS, parser)
            except DocumentError as error:
                found[case_id, name] = error.problems
        return found

    shown_some = outcomes()
    quirks_init = yaml_reader._Quirks.__init__

    def every_node(self, text, reader):
        quirks_init(self, text, reader)
        self.every_node = True

    monkeypatch.setattr(yaml_reader._Quirks, "__init__", every_node)
    shown_all = outcomes()
    assert shown_all.keys() == shown_some.keys()
    differ = [key for key in shown_all if repr(shown_all[key]) != repr(shown_some[key])]
    assert not differ, differ
    refused = sum(isinstance(outcome, list) and outcome[0].code == "yaml_quirk" for outcome in shown_all.values())
    assert refused >= 10, refused  # the check is exercised: the suite holds the quirks


def test_a_hash_right_after_text_inside_a_key_or_a_value_is_text():
    """`#` right after other text is a comment YAML refuses, unless it lies inside a scalar:
    the check sees every key and value of such a text, or it would refuse these."""
    for parser in PARSERS.values():
        value, *_ = parse_yaml("this is#not: a comment\nb: c#d\n", "case.yaml", DEFAULT_LIMITS, parser)
        assert value == {"this is#not": "a comment", "b": "c#d"}
        value, *_ = parse_yaml("- x#y\n- z\n", "case.yaml", DEFAULT_LIMITS, parser)
        assert value == ["x#y", "z"]
