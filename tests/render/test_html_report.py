"""The HTML audit report (issue 15): one self-contained, well-formed file in which every
failing result appears, with its charts; and, in a real browser, a table that sorts
and filters without a server."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner

from audit_corpus import write_audit
from conftest import ROOT
from iompolicy.cli import main

DATA = [arg for name in ("member-states.yaml", "funded-projects.yaml")
        for arg in ("--data", str(ROOT / "examples" / "data" / name))]


def check(*args) -> str:
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code in (1, 2), result.output
    return result.stdout


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    """The HTML report of the examples, written with -o as a user would (and JSON of the same run)."""
    folder = tmp_path_factory.mktemp("html")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        patch.setenv("SOURCE_DATE_EPOCH", "1213574400")
        assert CliRunner().invoke(main, ["check", "examples/", "--format", "html", "-o",
                                         str(folder / "audit.html")]).exit_code == 1
        (folder / "audit.json").write_text(check("examples/", "--format", "json"))
    return folder


def parsed(text: str):
    """The page parsed by html5lib in strict mode: any parse error (unclosed or misnested
    element, bad attribute, stray character) raises."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def test_the_page_is_well_formed_and_refers_to_nothing_outside_itself(examples):
    text = (examples / "audit.html").read_text(encoding="utf-8")
    tree = parsed(text)
    assert not tree.findall(".//link") and not tree.findall(".//img") and not tree.findall(".//iframe")
    for element in tree.iter():
        for attribute in ("src", "href", "action", "srcset", "data"):
            value = element.get(attribute)
            assert value is None or value.startswith("#"), (element.tag, attribute, value)
    assert [s.get("src") for s in tree.findall(".//script")] == [None]  # one inline script
    ids = [element.get("id") for element in tree.iter() if element.get("id")]
    assert len(ids) == len(set(ids))  # the script finds its elements by id
    assert "url(" not in text and "@import" not in text and "http://" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text


def test_every_failing_result_appears_in_its_document_row(examples):
    tree = parsed((examples / "audit.html").read_text(encoding="utf-8"))
    report = json.loads((examples / "audit.json").read_text())
    rows = {row.get("id"): row for row in tree.findall(".//tbody/tr") if (row.get("id") or "").startswith("doc-")}
    assert len(rows) == len(report["documents"]) == 17
    failing = 0
    for number, document in enumerate(report["documents"], 1):
        row = rows[f"doc-{number}"]
        text = "".join(row.itertext())
        assert row.get("data-outcome") == document["outcome"] and document["path"] in text
        for result in document["results"]:
            if result["outcome"] in ("fail", "error", "waived"):
                failing += 1
                assert result["clause"] in text and result["quote"] in text
                if result["location"]["line"]:
                    where = f"{document['path']}:{result['location']['line']}:{result['location']['column']}"
                    assert where in text
                for line in result["explanation"].splitlines():
                    assert line in text
    assert failing == 16


def svgs(tree) -> list:
    return [element for element in tree.iter() if element.tag == "{http://www.w3.org/2000/svg}svg"]


def test_the_verdict_charts_and_the_strategy_beside_the_results(examples):
    text = (examples / "audit.html").read_text(encoding="utf-8")
    tree = parsed(text)
    assert len(svgs(tree)) == 4  # by clause, by year, by state, budgets
    cards = {"".join(c.itertext()) for c in tree.findall(".//div[@class]") if "card" in c.get("class")}
    assert {"7failed", "2undecided", "8passed", "17documents checked"} <= cards
    # the over-cap budget: its allocation, the formula's figure and the most the cap allows
    budgets = "".join(svgs(tree)[3].itertext())
    assert "USD 2,825,000" in budgets and "USD 1,075,000" in budgets and "USD 2,600,000" in budgets
    provision = tree.find(".//div[@id='cite-III.5.2']")
    assert "Ceiling for funding of national projects will be USD 200,000 under Line 2." in "".join(provision.itertext())
    assert any(a.get("href") == "#doc-10" for a in provision.iter("a"))  # 04-tajikistan, which failed it


def test_with_jobs_the_page_is_the_same_charts_and_all(examples, tmp_path, monkeypatch):
    """With --jobs above 1 the documents are checked in other processes, which hand back
    what the page draws (applicants, budget figures) and each document's digest: the charts
    by state and of the budgets were left out, the digests read again from the files."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1213574400")
    result = CliRunner().invoke(main, ["check", "examples/", "--jobs", "2", "--format", "html",
                                       "-o", str(tmp_path / "jobs.html")])
    assert result.exit_code == 1, result.output
    page = (tmp_path / "jobs.html").read_text(encoding="utf-8")
    assert len(svgs(parsed(page))) == 4 and "Not drawn" not in page
    assert page == (examples / "audit.html").read_text(encoding="utf-8")


def test_text_from_a_document_is_escaped(tmp_path):
    hostile = tmp_path / "proposal.yaml"
    text = (ROOT / "examples" / "proposals" / "04-tajikistan-border-over-ceiling.yaml").read_text(encoding="utf-8")
    hostile.write_text(text.replace("id: IDF-2015-TJK-02", 'id: "<script>alert(1)</script><img src=x>"'))
    page = check(str(hostile), *DATA, "--format", "html")
    tree = parsed(page)
    assert len(tree.findall(".//script")) == 1 and not tree.findall(".//img")
    assert "<script>alert(1)</script><img src=x>" in "".join(tree.find(".//table[@id='documents']").itertext())


def test_an_invalid_input_is_shown_with_its_problems(tmp_path):
    (tmp_path / "bad.yaml").write_text("kind: proposal\nid: 7\n")
    tree = parsed(check(str(tmp_path), *DATA, "--format", "html"))
    (row,) = [r for r in tree.findall(".//tbody/tr") if r.get("data-outcome") == "invalid"]
    assert "bad.yaml:2:1: $.id: 7 is not of type 'string'" in "".join(row.itertext())


def test_a_generated_audit_of_2000_documents_stays_small(tmp_path):
    write_audit(tmp_path / "audit", 2000, 100)
    target = tmp_path / "audit.html"
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["check", str(tmp_path / "audit"), *DATA, "--format", "html", "-o", str(target)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1
    size = target.stat().st_size
    print(f"\n2,000 documents (100 failing): HTML {size:,} bytes, check and write {elapsed:.1f} s")
    assert size < 4 * 1024 * 1024
    rows = re.findall(r'<tr id="doc-\d+" data-outcome="(\w+)"', target.read_text(encoding="utf-8"))
    assert len(rows) == 2000 and rows.count("fail") == 100


# ---- in a real browser ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_in_a_browser_the_table_sorts_filters_and_opens_without_a_server(browser, examples):
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto((examples / "audit.html").as_uri())
    assert page.locator("#shown").inner_text() == "17 of 17 documents shown"
    visible = page.locator("#documents tbody tr:visible")

    page.select_option("#outcome", "fail")
    assert visible.count() == 7 and page.locator("#shown").inner_text() == "7 of 17 documents shown"
    page.fill("#filter", "TJK")
    assert visible.count() == 1 and "tajikistan" in visible.first.inner_text()
    page.select_option("#outcome", "")
    page.fill("#filter", "")
    assert visible.count() == 17

    page.click("#documents th:has-text('#')")  # ascending, then descending
    page.click("#documents th:has-text('#')")
    assert page.locator("#documents tbody tr").first.get_attribute("id") == "doc-17"
    page.click("#documents th:has-text('Failed')")
    counts = [int(t) for t in page.locator("#documents tbody tr td:nth-child(8)").all_inner_texts()]
    assert counts == sorted(counts)

    row = page.locator("#doc-10")
    explanation = row.locator("pre").first
    assert not explanation.is_visible()  # folded until the row is opened
    row.locator("summary").click()
    assert explanation.is_visible() and "LINE2_NATIONAL_CEILING (200,000)" in explanation.inner_text()
    assert page.locator("svg").count() == 4 and page.locator("svg").first.bounding_box()["height"] > 100
    assert errors == [] and all(url.startswith("file://") for url in requests), (errors, requests)
    if os.environ.get("IOMPOLICY_SCREENSHOT"):  # how the README's picture is made (see README, "Reports")
        page.set_viewport_size({"width": 1100, "height": 1400})
        page.goto((examples / "audit.html").as_uri())
        page.screenshot(path=os.environ["IOMPOLICY_SCREENSHOT"])
    page.close()
