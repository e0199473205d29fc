"""Reports printed on a terminal never carry a character the terminal would act on: a
document built in Python (the API) reaches the renderers without the loaders' refusals."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT
from iompolicy import PolicySet, load_file
from iompolicy.render import RenderOptions, Summary, writer
from iompolicy.render.printable import printable

POLICIES = PolicySet.load(ROOT / "policies")
DATA = {load_file(p).kind: load_file(p).value for p in sorted((ROOT / "examples" / "data").glob("*.yaml"))}
OVER_CEILING = load_file(ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml").value

# clear the screen, CSI (C1), a bidirectional override, half a surrogate pair, a line break
HOSTILE = "\x1b[2J\x9b31m\u202egnp.exe\ud800\nforged: pass"


def test_printable_escapes_what_a_terminal_acts_on_and_keeps_the_rest():
    assert printable(HOSTILE) == "\\u001b[2J\\u009b31m\\u202egnp.exe\\ud800\\u000aforged: pass"
    assert printable("tab\tand text: Côte d’Ivoire, USD 200,000") == "tab\tand text: Côte d’Ivoire, USD 200,000"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("colour", [False, True])
def test_a_hostile_id_and_value_are_escaped_in_the_report(fmt, colour):
    document = {**OVER_CEILING, "id": HOSTILE, "title": HOSTILE}
    report = POLICIES.check(document, data=DATA)
    assert report.outcome.value == "fail"
    out = io.StringIO()
    writer(fmt)(iter([report]), Summary(), RenderOptions.for_policies(POLICIES, colour=colour, verbose=True), out)
    shown = out.getvalue()
    escaped_esc = "\\u001b[2J" if fmt == "text" else "\\u001b\\[2J"  # Markdown also escapes the bracket
    assert escaped_esc in shown and "\\u202e" in shown
    unwanted = [c for c in shown if c in "\x9b\u202e\ud800" or (c == "\x1b" and not colour)]
    assert not unwanted
    assert "\nforged: pass" not in shown
    if colour:  # only the renderer's own colour codes are escapes: ESC followed by `[` and digits and `m`
        assert all(part[:1] == "[" and "m" in part[:6] for part in shown.split("\x1b")[1:])
    shown.encode("utf-8")  # half a surrogate pair would make this raise (and a terminal write fail)


def test_a_file_name_in_a_one_line_error_is_escaped_and_a_policy_diagnostic_keeps_its_lines(tmp_path):
    from click.testing import CliRunner

    from iompolicy.cli import main

    result = CliRunner().invoke(main, ["check", str(tmp_path / "x\x1b[2J.yaml")])
    assert result.exit_code == 2
    assert result.output.strip() == f"{tmp_path}/x\\u001b[2J.yaml: no such file or folder"

    (tmp_path / "bad.iom").write_text("policy p {\n  clause c {\n    require 1 +\n  }\n}\n")
    result = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert "error[syntax]" in lines[0] and any(set(line.strip()) == {"^"} for line in lines[1:]), result.output


def test_a_message_of_several_lines_keeps_its_lines_indented_under_the_clause(tmp_path):
    import shutil

    folder = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", folder)
    part1 = folder / "part1-activities.iom"
    part1.write_text(part1.read_text().replace(
        'message "the proposal does not state a request or agreement of the Member State(s)"',
        'message "no request is stated\\nsee the guidelines"'))
    policies = PolicySet.load(folder)
    report = policies.check({**OVER_CEILING, "government_request": False}, data=DATA)
    out = io.StringIO()
    writer("text")(iter([report]), Summary(), RenderOptions.for_policies(policies, colour=False, verbose=False), out)
    lines = out.getvalue().splitlines()
    assert "      no request is stated" in lines and "      see the guidelines" in lines
    assert "\\u000a" not in out.getvalue()


def _by_character(text: str, ranges, escape) -> str:
    """The escaping as defined: each character in `ranges` escaped, every other one kept."""
    return "".join(escape(ord(c)) if any(ord(c) in span for span in ranges) else c for c in text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=40))
def test_the_patterns_escape_exactly_the_characters_of_their_ranges(text):
    """printable, xml_safe and json_safe find what to escape with a regular expression built
    from the ranges of characters; the result is that of escaping character by character."""
    from iompolicy.render import printable as module

    assert printable(text) == _by_character(text, module._UNPRINTABLE, module._escape)
    assert module.xml_safe(text) == _by_character(text, module._NOT_XML, module._escape)
    assert module.json_safe(text) == _by_character(text, module._SURROGATES,
                                                   lambda code: module._escape(code).replace("\\", "\\\\"))


def test_the_printable_ascii_shortcut_escapes_what_the_patterns_escape():
    """Text of printable ASCII is returned without a search; every ASCII character, alone or
    in a line, is escaped (or not) by each output exactly as its pattern says."""
    from iompolicy.render import printable as module

    for pattern in (module._UNPRINTABLE_CHARACTER, module._SURROGATE, module._NOT_XML_CHARACTER):
        for code in range(128):
            for text in (chr(code), f"a {chr(code)} b"):
                assert module._escape_all(pattern, text) == pattern.sub(module._escaped, text), (pattern, code)
