"""Report renderers, one module per output format.

Every format has `write(reports, summary, options, out)`: it consumes the
reports (an iterator: the run is streamed), adds each to `summary` as it goes,
and writes to the text stream `out`; `options` is a `RenderOptions`. text, json and jsonl write each document
as it comes; sarif, junit, markdown and html need the totals first and gather them.
"""

from __future__ import annotations

from ..records import Record
from ..report import Outcome
from ..values import json_text
from .summary import Summary


class RenderOptions(Record, fields="verbose colour clauses date facts provenance digests quiet",
                    defaults=(False, False, (), None, None, None, None, False)):
    """What a renderer may use besides the reports: `verbose` (every clause, not only the
    failing ones), `colour` (terminal colours, text only), `quiet` (text only: a document
    with nothing failed, undecided or invalid is not listed), `clauses` (the `ClauseInfo` of
    every clause loaded, in order: SARIF's rules), `date` (the date a report is dated;
    None: today, or SOURCE_DATE_EPOCH), `facts` (a `facts.FactFinder` that saw each
    document: what the HTML report draws beyond the results; None when the run kept none),
    `provenance` (the run's, from `iompolicy.provenance.build`; None for reports made
    through the API) and `digests` (a `provenance.DocumentDigests`: each document's digest).
    """

    __slots__ = ()

    @classmethod
    def for_policies(cls, policies, **given) -> "RenderOptions":
        """Options for a run of `policies` (a PolicySet)."""
        return cls(clauses=tuple(c.info for c in policies.clauses()), **given)


FORMATS = ("text", "json", "jsonl", "sarif", "junit", "markdown", "html", "github")


def split_output(value: str) -> tuple[str | None, str]:
    """`FORMAT=PATH` as (FORMAT, PATH) when FORMAT is a report format, else (None, value):
    a plain path, written in the run's --format (name a file `./json=x` to keep it whole)."""
    name, separator, path = value.partition("=")
    return (name, path) if separator and name in FORMATS and path else (None, value)


def writer(name: str):
    """The `write` function of a format."""
    if name not in FORMATS:
        raise ValueError(f"unknown format `{name}`")
    module = {"json": "json_report", "jsonl": "json_lines"}.get(name, name)
    # The import statement's own function, not importlib.import_module: importing importlib
    # was 0.35 ms of a one-file check, for this one call.
    return __import__(f"{__name__}.{module}", fromlist=["write"]).write


def document_dict(report, options) -> dict:
    """A document's JSON shape, with its content digest when the run recorded it (`digest`)."""
    return _document_entry(report, options, report.to_dict())


def document_json(report, options) -> str:
    """`json.dumps(document_dict(report, options), ensure_ascii=False)`, the same text, written
    faster: a result that passed or did not apply is its clause's one shared object, so its
    text is written once and reused (most of a report's results, and of its time to write)."""
    entry = _document_entry(report, options, report.to_dict(results=False))
    keys = list(entry)
    at = keys.index("results")  # never the first key: `path` is
    # the keys around the results, each side written by one call of the C encoder
    before = json_text({key: entry[key] for key in keys[:at]})
    after = {key: entry[key] for key in keys[at + 1:]}
    tail = f", {json_text(after)[1:]}" if after else "}"
    return f'{before[:-1]}, "results": {_results_json(report.results, options)}{tail}'


def _document_entry(report, options, entry: dict) -> dict:
    if entry["results"]:  # a missing entry of reference data names the file it would be added to
        files = _data_files(options)
        for result in entry["results"]:
            _name_files(result, files)
    digests = options.digests
    if digests is not None:
        entry["digest"] = digests.of(report)
    return entry


def _name_files(result: dict, files: dict) -> dict:
    if not files:
        return result
    for fact in result.get("missing", ()):
        if fact["dataset"] in files:
            fact["file"] = files[fact["dataset"]]
            fact["text"] = _fact_text(fact, files)
    return result


_SHARED_TEXTS: dict[int, tuple] = {}  # id(result) -> (the result, kept so that its id stays its own; its JSON text)
_SHARED = (Outcome.PASS, Outcome.NOT_APPLICABLE)


def _results_json(results, options) -> str:
    files = None
    texts = []
    for result in results:
        known = _SHARED_TEXTS.get(id(result))
        if known is not None and known[0] is result:
            texts.append(known[1])
            continue
        if result.outcome in _SHARED and result.waiver is None:  # no missing facts, nothing of the document's
            text = json_text(result.to_dict())
            if len(_SHARED_TEXTS) >= 4096:
                _SHARED_TEXTS.clear()
            _SHARED_TEXTS[id(result)] = (result, text)
        else:
            files = _data_files(options) if files is None else files
            text = json_text(_name_files(result.to_dict(), files))
        texts.append(text)
    return "[" + ", ".join(texts) + "]"


def _data_files(options) -> dict:
    from ..evaluation.missing import data_files

    return data_files(options.provenance)


def _fact_text(fact: dict, files: dict) -> str:
    from ..evaluation.missing import MissingFact

    return MissingFact.from_dict(fact).text(files)


def digest_of(report, options) -> str | None:
    """A document's content digest, when the run recorded it."""
    digests = options.digests
    return digests.of(report) if digests is not None else None


def gathered(render):
    """A `write` for a format that renders all reports at once: `render(reports, summary, options) -> str`."""

    def write(reports, summary: Summary, options: RenderOptions, out) -> None:
        out.write(render(list(summary.counting(reports)), summary, options))

    return write


__all__ = ["FORMATS", "RenderOptions", "Summary", "digest_of", "document_dict", "document_json", "gathered",
           "split_output", "writer"]
