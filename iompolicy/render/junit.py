"""JUnit XML: one testsuite per document, one testcase per (document, clause)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import digest_of, gathered
from ..report import Outcome, readings_line
from .printable import xml_safe


def render(reports, summary, options) -> str:
    root = ET.Element("testsuites", name="iompolicy")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        name = report.path or report.id or "<document>"
        suite = ET.SubElement(root, "testsuite", name=name)
        digest = digest_of(report, options)
        if digest:
            ET.SubElement(ET.SubElement(suite, "properties"), "property", name="digest", value=digest)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if report.problems:  # an input that could not be checked: one failed test case
            counts["tests"] += 1
            counts["failures"] += 1
            case = ET.SubElement(suite, "testcase", classname=name, name="the document can be read and matches its schema")
            ET.SubElement(case, "failure", message=str(report.problems[0]), type="invalid").text = \
                "\n".join(str(problem) for problem in report.problems)
        for result in report.results:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=name,
                                 name=f"{result.clause} [{result.cite}] {result.title}")
            detail = "\n".join(filter(None, (result.message, result.explanation,
                                             f"{result.cite}: \u201c{result.quote}\u201d")))
            if result.location.line is not None:
                detail = f"{name}:{result.location.line}:{result.location.column}\n" + detail
            if result.outcome is Outcome.FAIL:
                counts["failures"] += 1
                element = ET.SubElement(case, "failure", message=result.message or result.title,
                                        type=result.severity)
                element.text = detail
            elif result.outcome is Outcome.UNDECIDED:
                counts["errors"] += 1
                element = ET.SubElement(case, "error", message=result.message, type="undecided")
                element.text = detail
            elif result.outcome is Outcome.WAIVED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=result.waiver.describe()).text = detail
            elif result.outcome is Outcome.NOT_APPLICABLE:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=result.explanation or "not applicable")
        said = [f"note: {notice}" for notice in report.notices]
        readings = readings_line(report.results)
        if readings:  # the reading of the Strategy that judged
            said.append(f"reading: {readings}")
        if said:  # what the document's report says beside its verdicts
            ET.SubElement(suite, "system-out").text = "\n".join(said)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    if summary.notices:  # stale waivers and the like: a suite of no tests whose output says them
        notices = ET.SubElement(root, "testsuite", name="iompolicy notices", tests="0", failures="0", errors="0",
                                skipped="0")
        ET.SubElement(notices, "system-out").text = "\n".join(summary.notices)
    if options.provenance is not None:  # a suite of no tests whose properties are the run's provenance
        suite = ET.SubElement(root, "testsuite", name="iompolicy provenance", tests="0", failures="0", errors="0",
                              skipped="0")
        properties = ET.SubElement(suite, "properties")
        for key, value in _flat(options.provenance):
            ET.SubElement(properties, "property", name=key, value=value)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    # ElementTree escapes markup but writes control characters as they are: not well-formed XML
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_safe(ET.tostring(root, encoding="unicode")) + "\n"


def _flat(value, prefix: str = ""):
    """(dotted.key, text) pairs of a nested value: JUnit properties are flat."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flat(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _flat(item, f"{prefix}[{number}]")
    else:
        yield prefix, "" if value is None else str(value)


write = gathered(render)
