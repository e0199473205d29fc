"""`iompolicy check --verify REPORT.json`: check again what a saved JSON report checked,
with what its provenance names (policy folders, reference data, waivers, as-of date,
--only/--skip), on the files as they are now, and say what differs: documents,
policies, data, waivers, verdicts. Exit 0 when nothing differs, 1 when something does,
2 when the report cannot be verified. Paths are as the report has them, so run it
from the folder the report was made in."""

from __future__ import annotations

import datetime as dt
import json

from ..provenance import DocumentDigests, digest_file, policy_set
from .common import RunError, load_policies


def _saved(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as stream:
            report = json.load(stream)
    except OSError as error:
        raise RunError([f"{path}: cannot read the report: {error.strerror or error}"]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RunError([f"{path}: not a JSON report: {error}"]) from None
    if not isinstance(report, dict) or not isinstance(report.get("provenance"), dict) \
            or not isinstance(report.get("documents"), list):
        raise RunError([f"{path}: has no provenance to verify against "
                        "(hint: write the report with `iompolicy check --format json -o REPORT.json`)"])
    return report


def _differences_in_inputs(provenance: dict) -> list[str]:
    found = []
    for saved in provenance["policy_sets"]:
        now = policy_set(saved["folder"])
        if now["digest"] != saved["digest"]:
            before = {f["file"]: f["digest"] for f in saved["files"]}
            after = {f["file"]: f["digest"] for f in now["files"]}
            for name in sorted(before.keys() | after.keys()):
                if before.get(name) != after.get(name):
                    state = "added" if name not in before else "removed" if name not in after else "changed"
                    found.append(f"policies: {saved['folder']}/{name} {state}")
    for data in provenance["data"]:
        if digest_file(data["file"]) != data["digest"]:
            found.append(f"data: {data['file']} ({data['kind']}) changed")
    waivers = provenance.get("waivers")
    if waivers and digest_file(waivers["file"]) != waivers["digest"]:
        found.append(f"waivers: {waivers['file']} changed")
    return found


def _verdicts(entry: dict) -> dict:
    return {result["clause"]: result["outcome"] for result in entry.get("results", [])}


def verify(report_path: str, limits) -> list[str]:
    """The differences between a saved report and a run of the same checks now (empty: none)."""
    from ..run import Run

    saved = _saved(report_path)
    provenance = saved["provenance"]
    found = _differences_in_inputs(provenance)
    policies = load_policies([s["folder"] for s in provenance["policy_sets"]])
    saved_readings = provenance.get("readings") or {}
    if saved_readings and saved_readings != policies.readings:  # judged again under the readings saved
        policies = policies.with_readings({k: v for k, v in saved_readings.items() if k in policies.declared})
    run = Run(policies, limits=limits)
    for data in provenance["data"]:
        run.add_data_file(data["file"])
    if provenance.get("waivers"):
        run.use_waivers(provenance["waivers"]["file"])
    paths = [d["path"] for d in saved["documents"] if d.get("path")]
    missing = [path for path in paths if digest_file(path) is None]
    found += [f"{path}: document gone or unreadable" for path in missing]
    run.add_inputs([path for path in paths if path not in missing])
    as_of = provenance["as_of"].get("date")
    selection = provenance.get("selection") or {}
    from ..selection import selector

    digests = DocumentDigests()
    now = {}
    for report in run.reports(as_of=dt.date.fromisoformat(as_of) if as_of else None,
                              select=selector(tuple(selection.get("only", ())), tuple(selection.get("skip", ()))),
                              observe=digests.observe):
        now[report.path] = (report.to_dict(), digests.of(report))
    for entry in saved["documents"]:
        path = entry.get("path")
        if path is None or path in missing:
            continue
        current, digest = now.get(path, (None, None))
        if current is None:
            found.append(f"{path}: not checked now")
            continue
        if entry.get("digest") != digest:
            found.append(f"{path}: document changed ({entry.get('digest')} -> {digest})")
        if entry["outcome"] != current["outcome"]:
            found.append(f"{path}: verdict {entry['outcome']} -> {current['outcome']}")
        before, after = _verdicts(entry), _verdicts(current)
        for clause in sorted(before.keys() | after.keys()):
            if before.get(clause) != after.get(clause):
                found.append(f"{path}: {clause} {before.get(clause, 'absent')} -> {after.get(clause, 'absent')}")
    return found
