"""A new user's start (issue 14): `iompolicy init`, `new`, `schema`, the placeholders a
template marks, `$schema` in a document, and the Strategy's words in the schemas."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT
from iompolicy.cli import main

KINDS = ("proposal", "facility_budget", "governance_calendar", "member_states", "funded_projects")
HINT = "(hint: then delete the `# FILL IN` comment)"


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_the_settings_the_hook_the_registers_the_schemas_and_a_template_per_kind(repo):
    result = run("init")
    assert result.exit_code == 0, result.output
    written = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    assert written == sorted([".iompolicy.yaml", ".pre-commit-config.yaml", "registers/README.md",
                              "registers/member-states.yaml", "registers/funded-projects.yaml",
                              *(f"schemas/{k}.schema.json" for k in KINDS),
                              "templates/proposal.yaml", "templates/facility_budget.yaml",
                              "templates/governance_calendar.yaml"])
    assert all((repo / folder).is_dir() for folder in ("proposals", "budgets", "governance"))
    assert result.output.splitlines()[0] == "wrote .iompolicy.yaml"
    settings = yaml.safe_load((repo / ".iompolicy.yaml").read_text())
    assert settings == {"paths": ["proposals/", "budgets/", "governance/"],
                        "data": ["registers/member-states.yaml", "registers/funded-projects.yaml"],
                        "exclude": ["templates", "schemas"]}
    hook = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert (hook["id"], hook["entry"], hook["files"]) == ("iompolicy", "iompolicy check",
                                                          "^(proposals|budgets|governance|registers)/")
    shipped = json.loads((ROOT / "schemas" / "proposal.schema.json").read_text())
    assert json.loads((repo / "schemas" / "proposal.schema.json").read_text()) == shipped


def test_init_keeps_what_exists(repo):
    (repo / ".iompolicy.yaml").write_text("paths: [mine/]\n")
    result = run("init")
    assert result.exit_code == 0
    assert "kept .iompolicy.yaml: it exists already" in result.output.splitlines()
    assert (repo / ".iompolicy.yaml").read_text() == "paths: [mine/]\n"


def test_templates_name_their_schema_for_editors(repo):
    run("init")
    for kind in ("proposal", "facility_budget", "governance_calendar"):
        first = (repo / "templates" / f"{kind}.yaml").read_text().splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"
    run("new", "proposal", "proposals/deep/p.yaml")
    first = (repo / "proposals" / "deep" / "p.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/proposal.schema.json"


def test_new_outside_a_repository_names_the_installed_schema(tmp_path, monkeypatch):
    from iompolicy.resources import shipped_schemas

    monkeypatch.chdir(tmp_path)
    result = run("new", "facility_budget")
    assert result.exit_code == 0, result.output
    assert result.output == ("wrote facility_budget.yaml: fill in each line marked `# FILL IN`, then run "
                             "`iompolicy check facility_budget.yaml`\n")
    first = (tmp_path / "facility_budget.yaml").read_text().splitlines()[0]
    uri = (shipped_schemas() / "facility_budget.schema.json").resolve().as_uri()
    assert first == f"# yaml-language-server: $schema={uri}"


def test_new_never_overwrites_and_refuses_an_unknown_kind(repo):
    (repo / "p.yaml").write_text("mine\n")
    refused = run("new", "proposal", "p.yaml")
    assert refused.exit_code == 2
    assert refused.output == "p.yaml: already exists; iompolicy does not overwrite it " \
                             "(hint: choose another path, or delete it)\n"
    assert (repo / "p.yaml").read_text() == "mine\n"
    unknown = run("new", "proposl")
    assert unknown.exit_code == 2
    assert unknown.output == ("unknown document kind `proposl`; known: proposal, facility_budget, governance_calendar, "
                              "member_states, funded_projects (hint: did you mean `proposal`?)\n")


@pytest.mark.parametrize("kind", KINDS)
def test_a_template_is_valid_and_check_lists_each_placeholder(repo, kind):
    """A fresh template matches its schema; each `# FILL IN` line is a located problem."""
    from iompolicy import PolicySet
    from iompolicy.documents import load_text

    text = run("new", kind, "-").output
    document = load_text(text, f"{kind}.yaml")
    schema = PolicySet.shipped().validator
    marked = [n for n, line in enumerate(text.splitlines(), 1) if " # FILL IN" in line]
    assert marked
    with pytest.raises(Exception) as raised:
        schema.validate(document)
    problems = raised.value.problems
    assert [(p.line, p.code) for p in problems] == [(n, "placeholder") for n in marked]
    without = "\n".join(line.split(" # FILL IN")[0] for line in text.splitlines()) + "\n"
    assert schema.validate(load_text(without, f"{kind}.yaml")).kind == kind  # valid once the marks are gone


def test_check_points_at_what_to_fill_in(repo):
    run("new", "proposal", "p.yaml")
    result = run("check", "p.yaml")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == f"p.yaml:8:1: fill in `id`: the proposal's identifier, like IDF-2026-BOL-01 {HINT}"
    assert f"p.yaml:17:3: fill in `funding.requested_usd`: the amount asked for, in USD, digits only (150000) {HINT}" \
        in lines
    assert len([line for line in lines if line.startswith("p.yaml:")]) == 11


def test_a_placeholder_mark_inside_text_is_not_a_comment(repo):
    from iompolicy.documents import load_text
    from iompolicy.documents.placeholders import placeholders

    document = load_text('kind: proposal\ntitle: "a # FILL IN b"\nid: \'it\'\'s # FILL IN\'\n'
                         'summary: x # FILL IN: the summary\nnote: y # see # FILL IN\n', "d.yaml")
    assert [(p.line, p.column, p.message) for p in placeholders(document)] == [(4, 1, "fill in `summary`: the summary")]


def test_schema_prints_a_kinds_schema(repo):
    result = run("schema", "member_states")
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads((ROOT / "schemas" / "member_states.schema.json").read_text())
    assert run("schema", "budget").exit_code == 2


def test_a_json_document_may_name_its_schema():
    from iompolicy import PolicySet, load_file

    proposal = load_file(ROOT / "examples" / "proposals" / "01-bolivia-climate-line2-national.yaml").value
    proposal["$schema"] = "../schemas/proposal.schema.json"
    report = PolicySet.shipped().check(proposal, data=[load_file(ROOT / "examples" / "data" / "member-states.yaml")])
    assert report.outcome.value == "pass"


def _descriptions(node, path=""):
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            yield path, node["description"]
        for key, value in node.items():
            yield from _descriptions(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _descriptions(value, f"{path}/{index}")


def test_the_strategys_words_in_the_schemas_are_the_strategys():
    """Every `CITE: “words”` a field's description gives is in that provision's text, word for word."""
    provisions = {p["cite"]: " ".join(p["text"].split())
                  for p in yaml.safe_load((ROOT / "policies" / "provisions.yaml").read_text())["provisions"]}
    quoted = 0
    for kind in KINDS:
        schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
        for path, text in _descriptions(schema):
            for cite, words in re.findall(r"(?:Strategy )?([IVX]+(?:\.\d+)*(?:\.[a-h])?|I+): \u201c([^\u201d]+)\u201d", text):
                assert words in provisions[cite], f"{kind}{path}: {cite} does not say {words!r}"
                quoted += 1
    assert quoted >= 60


@pytest.mark.parametrize("kind, field, cite", [
    ("proposal", "/properties/funding/properties/requested_usd", "III.5.2"),
    ("proposal", "/properties/applicant", "III.5.1"),
    ("proposal", "/properties/government_request", "I"),
    ("proposal", "/properties/funding/properties/follow_up_of", "III.5.4"),
    ("facility_budget", "/properties/miscellaneous_income", "III.2"),
    ("governance_calendar", "/$defs/meeting/properties/body", "II.2"),
    ("member_states", "/$defs/state/properties/article4", "III.5.1"),
    ("proposal", "/properties/humanitarian/properties/post_crisis_services", "I.9"),
    ("proposal", "/properties/counter_trafficking", "I.11"),
    ("facility_budget", "/$defs/funding_line/properties/voluntary_contributions_usd", "III.2"),
    ("facility_budget", "/$defs/funding_line/properties/account_code", "III.5.5"),
    ("facility_budget", "/properties/discretionary_income", "III.1"),
    ("governance_calendar", "/properties/executive_committee/properties/members", "II"),
    ("governance_calendar", "/properties/scpf_rules_of_procedure/properties/approved_by_council", "II.4"),
])
def test_the_fields_clauses_read_carry_the_strategys_words(kind, field, cite):
    schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
    node = schema
    for part in field.strip("/").split("/"):
        node = node[part]
    assert f"{cite}: \u201c" in node["description"]


def test_the_readmes_local_hook_is_what_init_writes():
    from iompolicy.cli.starter import PRE_COMMIT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## pre-commit\n"):]
    shown = re.search(r"```yaml\n(repos:\n  - repo: local\n.*?)```", section, re.DOTALL).group(1)
    assert yaml.safe_load(shown) == yaml.safe_load(PRE_COMMIT)


def test_check_of_the_whole_repository_leaves_the_templates_and_schemas_out(repo):
    run("init")
    result = run("check", ".")
    assert result.exit_code == 2
    named = {line.split(":")[0] for line in result.output.splitlines()}
    assert named == {"registers/member-states.yaml", "registers/funded-projects.yaml"}  # placeholders to fill in


def test_the_validator_looks_for_the_mark_the_templates_write():
    from iompolicy.documents.placeholders import MARK
    from iompolicy.documents.validation import PLACEHOLDER_MARK

    assert PLACEHOLDER_MARK == MARK == "# FILL IN"
