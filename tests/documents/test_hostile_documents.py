"""The document loader under attack: limits, refusals with their place, exact
numbers, YAML 1.1 readings and positions (the API under the CLI cases of
tests/hostile/cases.yaml)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from iompolicy.documents import DocumentError, Limits, load_bytes, load_file, load_text


def refused(text: str, name: str = "f.yaml", limits: Limits | None = None, seconds: float = 2.0):
    started = time.monotonic()
    with pytest.raises(DocumentError) as caught:
        load_text(text, name, limits=limits)
    assert time.monotonic() - started < seconds, "refused, but not quickly"
    (problem,) = caught.value.problems
    return problem


@pytest.mark.parametrize("text, name", [
    ("kind: p\nx: " + "[" * 1_000_000, "f.yaml"),
    ("kind: p\nx: " + "{a: " * 300_000, "f.yaml"),
    ("- " * 500_000 + "x", "f.yaml"),
    ('{"x": ' + "[" * 1_000_000 + "]" * 1_000_000 + "}", "f.json"),
    ('{"x": ' + '{"a": ' * 300_000, "f.json"),
])
def test_nesting_a_million_deep_is_refused_at_once(text, name):
    problem = refused(text, name, seconds=3)
    assert problem.code == "too_deep" and problem.line is not None
    assert "nested more than 64 levels deep" in problem.message


def test_alias_bombs_are_refused_before_they_expand():
    doubling = "kind: p\na0: &a0 [x, x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 60))
    assert refused(doubling).code == "too_many_values"  # 2^60 values, refused after about a million
    many = "kind: p\nx: &x 1\ny: [" + ", ".join(["*x"] * 100_000) + "]\n"
    assert refused(many).code == "too_many_aliases"
    keys = "kind: p\n&k a: 1\n" + "".join(f"m{i}: {{*k : 1}}\n" for i in range(200))  # aliases as keys count
    assert refused(keys).code == "too_many_aliases"


def test_limits_are_adjustable():
    text = "kind: p\nx: [[[[1]]]]\ny: &y {a: 1}\nz: *y\n"
    assert load_text(text, "f.yaml").value["z"] == {"a": 1}
    assert refused(text, limits=Limits(max_depth=3)).code == "too_deep"
    assert refused(text, limits=Limits(max_aliases=0)).code == "too_many_aliases"
    assert refused(text, limits=Limits(max_nodes=10)).code == "too_many_values"
    assert refused(text, limits=Limits(max_bytes=10)).code == "too_big"
    assert load_text(text, "f.yaml", limits=Limits(max_depth=5, max_aliases=1, max_nodes=17)).value  # the root counts


def test_recursive_and_undefined_aliases():
    assert refused("kind: p\na: &a {b: *a}\n").code == "recursive_value"
    assert refused("kind: p\na: *nowhere\n").code == "undefined_alias"
    # an anchor defined again is the later one
    assert load_text("kind: p\na: &x 1\nb: &x 2\nc: *x\n", "f.yaml").value["c"] == 2


def test_duplicate_keys_name_both_lines():
    problem = refused("kind: p\nfunding:\n  requested_usd: 1\n  line: 2\n  requested_usd: 2\n")
    assert (problem.line, problem.column, problem.code) == (5, 3, "duplicate_key")
    assert "(lines 3 and 5)" in problem.message
    problem = refused('{"kind": "p",\n "a": {"k": 1,\n "k": 2}}', "f.json")
    assert (problem.line, problem.code) == (3, "duplicate_key") and "(lines 2 and 3)" in problem.message
    problem = refused('kind: p\n"a": 1\na: 2\n')  # the same key, quoted or not
    assert problem.code == "duplicate_key"


def test_merge_keys_are_refused_wherever_they_are():
    """`<<: [{requested_usd: 150000}, {requested_usd: 950000}]` was judged at 150,000 (PyYAML's
    reading), where other readers give 950,000; two `<<` in one mapping were accepted."""
    for text in ("kind: p\nbase: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n",
                 "kind: p\nf:\n  <<: [{requested_usd: 150000}, {requested_usd: 950000}]\n",
                 "kind: p\nb: &b {x: 1}\nc: {<<: *b, y: 1}\n"):
        problem = refused(text)
        assert problem.code == "merge_key" and "write the keys out in full" in problem.hint
    assert refused("kind: p\nf:\n  <<: [{a: 1}, {a: 2}]\n").line == 3
    assert load_text('kind: p\n"<<": text\nv: <<\n', "f.yaml").value == {"kind": "p", "<<": "text", "v": "<<"}


def test_anchors_on_keys_name_the_key():
    """`&amt total: 5` named nothing: a later `*amt` silently repeated an older `&amt 100`,
    and `&k lead: Alice` with `contact: *k` was refused as an undefined alias."""
    value = load_text("kind: p\nbudget: &amt 100\n&amt total: 5\ncopy: *amt\n", "f.yaml").value
    assert value == {"kind": "p", "budget": 100, "total": 5, "copy": "total"}
    document = load_text("kind: p\n&k lead: Alice\ncontact: *k\n", "f.yaml")
    assert document.value == {"kind": "p", "lead": "Alice", "contact": "lead"}
    assert document.position("$.contact") == (3, 1)
    value = load_text("kind: p\na: &name lead\nteam: {*name : Alice}\n", "f.yaml").value
    assert value["team"] == {"lead": "Alice"}  # an alias of text may be a key
    assert refused("kind: p\na: &n 12\nteam: {*n : Alice}\n").code == "key_not_text"
    assert refused("kind: p\n&k a: 1\nm: {a: 1, *k : 2}\n").code == "duplicate_key"


@pytest.mark.parametrize("text, line, message", [
    ("kind: p\nx: !!int 0600000\n", 2, "the tag `!!int` is not allowed"),
    ("kind: p\nx: !!int 3:20:00\n", 2, "the tag `!!int` is not allowed"),
    ("kind: p\nx: !!int 0x30D40\n", 2, "the tag `!!int` is not allowed"),
    ("kind: p\nx: !!float 1.5\n", 2, "the tag `!!float` is not allowed"),
    ("kind: p\nx: !!timestamp hello\n", 2, "the tag `!!timestamp` is not allowed"),
    ("kind: p\nx: !!bool maybe\n", 2, "the tag `!!bool` is not allowed"),
    ("kind: p\nx: !!int ''\n", 2, "the tag `!!int` is not allowed"),
    ("kind: p\nx: !!null ''\n", 2, "the tag `!!null` is not allowed"),
    ("kind: p\n!!int 5: x\n", 2, "the tag `!!int` is not allowed"),
    ("kind: p\nx: ! 12\n", 2, "`! 12` is text in YAML, but PyYAML reads it as a number"),
    ("kind: p\nx: 1_000\n", 2, "`1_000` is read by YAML 1.1 as the number 1000, but YAML 1.2 and JSON read it as text"),
    ("kind: p\nx: 1_000.50\n", 2, "`1_000.50` is read by YAML 1.1 as the number 1000.50"),
    ("kind: p\nx: 0b101\n", 2, "`0b101` is read by YAML 1.1 as the binary number 5"),
    ("kind: p\nx: 0x30D40\n", 2, "`0x30D40` is read by YAML 1.1 as the hexadecimal number 200000"),
])
def test_explicit_tags_and_surprising_numbers_are_refused(text, line, message):
    problem = refused(text)
    assert message in problem.message and problem.line == line and problem.hint
    assert problem.code in ("explicit_tag", "yaml11_number")


@pytest.mark.parametrize("text, code", [
    ("kind: p\nx: !!python/object/apply:os.system [ls]\n", "unsupported_tag"),
    ("kind: p\nx: !!python/name:os.system\n", "unsupported_tag"),
    ("kind: p\nx: !!python/module:os\n", "unsupported_tag"),
    ("kind: p\nx: !!set {a, b}\n", "unsupported_tag"),
    ("kind: p\nx: !!omap [{a: 1}]\n", "unsupported_tag"),
    ("kind: p\nx: !!binary aGk=\n", "unsupported_tag"),
    ("kind: p\nx: !custom 1\n", "unsupported_tag"),
    ("kind: p\n? [a, b]\n: 1\n", "key_not_text"),
    ("kind: p\nyes: 1\n", "key_not_text"),
    ("kind: p\nx: 012\n", "yaml11_number"),
    ("kind: p\nx: 1:20:30\n", "yaml11_number"),
    ("kind: p\nx: .inf\n", "not_finite"),
    ("kind: p\nx: 1" + "0" * 120 + "\n", "number_out_of_range"),
    ("kind: p\nx: 1.0e-999\n", "number_out_of_range"),
    ("kind: p\nx: 2023-13-01\n", "invalid_date"),
    ("kind: p\nx: 2023-02-29\n", "invalid_date"),
    ("kind: p\n---\nkind: q\n", "several_documents"),
    ("", "empty"),
    ("[1, 2]\n", "not_a_mapping"),
])
def test_refusals_have_a_code_and_a_place(text, code):
    try:
        load_text(text, "f.yaml")
    except DocumentError as error:
        (problem,) = error.problems
        assert problem.code == code, problem
        assert problem.line is not None or code == "empty", problem
        return
    pytest.fail("loaded, but should have been refused")


def test_explicit_tags_and_quotes_say_what_is_meant():
    value = load_text('kind: p\na: !!str 010\nb: "010"\nc: 07\nd: ! "12"\ne: "2008-01-01"\nf: ! text\n',
                      "f.yaml").value
    assert value == {"kind": "p", "a": "010", "b": "010", "c": 7, "d": "12", "e": "2008-01-01", "f": "text"}


def test_numbers_are_exact():
    value = load_text("kind: p\na: 0.1\nb: 1000.50\nc: 7\nd: 1.0e+3\n", "f.yaml").value
    assert value["a"] == Decimal("0.1") and value["b"] == Decimal("1000.50") and value["c"] == 7
    assert value["d"] == 1000 and type(value["d"]) is Decimal
    value = load_text('{"kind": "p", "a": 0.1, "b": 1e3, "c": -0}', "f.json").value
    assert value["a"] + Decimal("0.2") == Decimal("0.3") and value["b"] == 1000 and value["c"] == 0


def test_reading_hints():
    document = load_text("kind: p\na: NO\nb: 1e3\nc:\nd: 08\ne: ~\nf: 2008-01-01\ng: 12\nh: text\n", "f.yaml")
    hint = document.reading_hint
    assert hint("$.a") == '`NO` was read as the boolean false; write "NO" in quotes if you meant text'
    assert "`1e3` was read as text" in hint("$.b")
    assert hint("$.c") == "nothing is written here, which YAML reads as null"
    assert "leading zero" in hint("$.d")
    assert hint("$.e").startswith("`~` was read as null")
    assert hint("$.f").startswith("`2008-01-01` was read as a date")
    assert hint("$.g").startswith("`12` was read as a number")
    assert hint("$.h") is None and hint("$.nowhere") is None
    assert document.dates == {"$.f": "2008-01-01"}


def test_dates_are_tracked_through_aliases_and_lists():
    document = load_text("kind: p\na: &a {d: 2008-01-01}\nb: *a\nc: [x, 2009-02-03]\n", "f.yaml")
    assert document.dates == {"$.a.d": "2008-01-01", "$.b.d": "2008-01-01", "$.c[1]": "2009-02-03"}


def test_bytes():
    assert load_bytes(b"\xef\xbb\xbfkind: p\n", "f.yaml").value == {"kind": "p"}
    with pytest.raises(DocumentError) as caught:
        load_bytes(b"kind: p\nx: \xff\n", "f.yaml")
    assert (caught.value.problems[0].line, caught.value.problems[0].code) == (2, "not_utf8")
    with pytest.raises(DocumentError) as caught:
        load_bytes(b"x" * 101, "f.yaml", limits=Limits(max_bytes=100))
    assert caught.value.problems[0].code == "too_big"


def test_positions_are_noted_while_reading_unless_an_alias_or_size_stops_it():
    """A small document's positions are noted as it loads (no second reading); one with an
    alias, or with more entries than NOTED_AT_MOST, keeps no table (an alias bomb within
    the limits would keep a million entries) and gets its positions from a second reading."""
    from iompolicy.documents.yaml_reader import NOTED_AT_MOST

    small = load_text("kind: p\nfunding:\n  amount: 5\n", "f.yaml")
    assert small._positions is not None and small.position("$.funding.amount") == (3, 3)
    aliased = load_text("kind: p\na: &x {b: 1}\nc: *x\n", "f.yaml")
    assert aliased._positions is None
    assert aliased.position("$.c") == (3, 1) and aliased.position("$.c.b") == aliased.position("$.a.b") == (2, 8)
    big = load_text("kind: p\nitems:\n" + "".join(f"  - {i}\n" for i in range(NOTED_AT_MOST)), "f.yaml")
    assert big._positions is None and big.position(f"$.items[{NOTED_AT_MOST - 1}]") == (NOTED_AT_MOST + 2, 5)
    bomb = "kind: p\na: &a [" + ", ".join(["x"] * 10) + "]\n" + "".join(
        f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n" for previous, name in zip("abcd", "bcde"))
    assert load_text(bomb, "f.yaml")._positions is None  # 100,000 values, none noted


def test_positions_of_a_document_not_loaded_from_text_are_none():
    from iompolicy.documents import Document

    assert Document({"kind": "p"}).position("$.kind") is None
    looping = Document({"kind": "p"}, "f.yaml", "kind: p\na: &a [*a]\n", "yaml")
    assert looping.position("$.a") is None  # a recursive text gives no positions, and no endless walk


def test_schemas_survive_validator_generation(tmp_path, monkeypatch):
    """fastjsonschema rewrote the `$ref`s of the schema it compiled, in place: after the first run
    that built validators (a policy-cache miss), the checker and the date check broke on `$ref`s."""
    from conftest import ROOT
    from iompolicy import PolicySet

    monkeypatch.setenv("IOMPOLICY_CACHE_DIR", str(tmp_path))  # a miss: every validator is generated
    policies = PolicySet.load(ROOT / "policies", ROOT / "schemas")
    policies.validator.all_fast_code()
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "policies").glob("*.iom")}
    PolicySet.from_texts(texts, policies.schemas)  # the checker follows `$ref`s of the same schemas
    text = (ROOT / "tests" / "hostile" / "yaml11-date-in-a-budget-line.yaml").read_text(encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        policies.validator.validate(load_text(text, "p.yaml"))
    assert "$.budget_lines[0].description: `2016-03-15` is written without quotes" in str(caught.value)


@pytest.mark.parametrize("text, name, where", [
    ('kind: p\nx: "a\\e[2Jb"\n', "f.yaml", "$.x"),
    ('kind: p\nx: ["\\x9b31m"]\n', "f.yaml", "$.x[0]"),
    ('kind: p\n"\\0": 1\n', "f.yaml", "a key of $"),
    ('{"kind": "p", "x": {"y": "\\u0007"}}', "f.json", "$.x.y"),
    ('{"kind": "p", "x": "\\u007f"}', "f.json", "$.x"),
])
def test_control_characters_are_refused(text, name, where):
    problem = refused(text, name)
    assert problem.code == "control_character" and problem.message.startswith(where + ": the text holds")


def test_tabs_line_breaks_and_escaped_quotes_are_text():
    value = load_text('kind: p\nx: "a\\tb\\nc\\\\d\\"e"\n', "f.yaml").value
    assert value["x"] == 'a\tb\nc\\d"e'
    assert load_text('{"kind": "p", "x": "\\ud83d\\ude00 \\t"}', "f.json").value["x"] == "\U0001F600 \t"


# ---- the reader means what PyYAML means ------------------------------------------------------------

import datetime as dt  # noqa: E402
import os  # noqa: E402

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x85\u2028\u2029"),
                max_size=12)
_SCALARS = (st.none() | st.booleans() | st.integers(-10 ** 30, 10 ** 30) | _TEXT | st.dates()
            | st.floats(-1e50, 1e50, allow_nan=False).filter(lambda f: f == 0 or abs(f) > 1e-50))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                       max_leaves=25)


def _normal(value):
    """PyYAML's value as our loader gives it: dates as ISO text, floats as exact decimals."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


@settings(max_examples=int(os.environ.get("IOMPOLICY_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(_VALUES, _VALUES, st.booleans(), st.booleans())
def test_the_reader_agrees_with_pyyaml(first, second, flow, shared):
    document = {"kind": "p", "a": first, "b": second}
    if shared and isinstance(first, (dict, list)):
        document["c"] = first  # the same object twice: the dump has an anchor and an alias
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert load_text(text, "f.yaml").value == _normal(yaml.safe_load(text))


@pytest.mark.parametrize("text, line, column, message", [
    ("kind: p\nx:\n\t- a\n", 3, 1, "not valid YAML: this line is indented with a tab"),
    ("%YAML 1.1\n---\nkind: p\n", 1, 1, "a directive (`%YAML`, `%TAG`...): a document does not use them"),
    ("kind: p\nkey: &an:chor value\n", 2, 6, "`&an` is followed by `:`: YAML reads both as one name"),
    ("kind: p\nx: { ?foo: bar }\n", 2, 7, "`foo` in a flow collection: YAML and PyYAML's parsers read `?`"),
    ("kind: p\nx: [-]\n", 2, 5, "`-` in a flow collection"),
    ('kind: p\nkey: "value"# note\n', 2, 13, "a comment needs a space before it"),
    ("kind: p\nflow: [a,\nb]\n", 3, 1, "this line of a flow collection must be indented by at least 1 spaces"),
    ('kind: p\nquoted: "a\nb"\n', 3, 1, "this line of a quoted text must be indented more than its key"),
    ("kind: p\nx: >\n \n  \n # c\n", 2, 4, "a first line of this block text holds 2 spaces, more than its text"),
])
def test_what_pyyaml_reads_otherwise_than_yaml_is_refused(text, line, column, message):
    """Found by the YAML test suite (tests/documents/test_yaml_test_suite.py): PyYAML read these otherwise
    than YAML says, accepted them though YAML does not, or its two parsers disagreed."""
    problem = refused(text)
    assert message in problem.message and (problem.line, problem.column) == (line, column), problem
    assert problem.code in ("tab", "tab_indent", "directive", "yaml_quirk")


def test_a_last_line_of_spaces_ends_a_block_scalar_as_yaml_says():
    assert load_text("kind: p\nfoo: |\n  x\n   ", "f.yaml").value["foo"] == "x\n \n"  # PyYAML read "x\n "


@pytest.mark.parametrize("body, fmt", [
    (b"kind: proposal\nx: !!bool maybe\n", "yaml"),  # the service answered "not valid YAML: KeyError"
    (b"kind: proposal\nx: !!timestamp hello\n", "yaml"),
    (b"kind: proposal\nx: !!int ''\n", "yaml"),
    (b'{"kind": "proposal", "x": 1e999999999999999999999999}', "json"),
    (b"kind: proposal\nx: 1_000\n", "yaml"),
])
def test_the_service_refuses_with_the_words_of_the_command_line(body, fmt):
    from iompolicy.resources import shipped_policies
    from iompolicy.service import Service, ServiceError

    with pytest.raises(DocumentError) as loaded:
        load_bytes(body, "<body>", fmt)
    (expected,) = loaded.value.problems
    with pytest.raises(ServiceError) as answered:
        Service(shipped_policies(), []).check(body, fmt, [])
    (problem,) = answered.value.body()["error"]["problems"]
    assert (problem["message"], problem["line"], problem["column"], problem["code"]) == \
        (expected.message, expected.line, expected.column, expected.code)
    assert "KeyError" not in problem["message"] and "internal" not in problem["message"]


def test_a_file_is_read_in_steps_up_to_one_byte_past_the_limit(tmp_path):
    """`read_at_most` reads 64 KiB at a time (one read of the whole limit allocates it first):
    the bytes are those of the file, cut one past the limit, across step boundaries."""
    import io

    from iompolicy.documents import read_at_most, read_file

    content = bytes(range(256)) * 800  # 204,800 bytes: three full steps and a part
    for limit in (1, 65_536, 65_537, 150_001, 204_800, 204_801, 10 * 1024 * 1024):
        assert read_at_most(io.BytesIO(content), limit) == content[:limit]
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * 150_000 + b"\n")
    assert read_file(big, Limits(max_bytes=100_000)) == big.read_bytes()[:100_001]
    with pytest.raises(DocumentError) as refused_big:
        load_file(big, Limits(max_bytes=100_000))
    assert refused_big.value.problems[0].code == "too_big"
