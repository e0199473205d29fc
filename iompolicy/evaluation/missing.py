"""Missing facts: what an undecided clause lacks, and where it would come from.

A clause that cannot be decided for want of a fact names the fact: a field of the
document (its JSON path), a reference data set that was not given, an entry of one
that is not there (its keys: `states`, `ZMB`), or no item of a list of one that
matches (`projects` where `project.id` is "IDF-2009-X"). The explaining evaluator
(`explain.Tracer`) works these out as it reads, from the expression tree, so a new
clause names its missing facts without new code.

`Checklist` gathers the distinct facts of a whole run, most needed first: the fact
that leaves the most results undecided, then the most documents.
"""

from __future__ import annotations

from ..records import Record
from ..values import format_value


class MissingFact(Record, fields="source path dataset keys where as_of",
                  defaults=(None, None, (), None, None)):
    """One fact an evaluation needed and did not have.

    `source` is `document` (then `path` is the field's JSON path) or `data` (then
    `dataset` is the reference data's name, `keys` the entry that is not there, from
    the top of the data set, `where` the condition no item of that list meets, and
    `as_of` the data set's own `as_of` date, when it gives one). `keys == ()` with
    `where` None: the data set itself was not given."""

    __slots__ = ()

    @classmethod
    def field(cls, path: str) -> "MissingFact":
        return cls("document", path)

    @classmethod
    def data(cls, dataset: str, keys: tuple, values: dict, where: str | None = None) -> "MissingFact":
        """An entry of a data set (`values`: the data given, for the set's `as_of`)."""
        given = values.get(dataset)
        as_of = given.get("as_of") if isinstance(given, dict) else None
        return cls("data", None, dataset, tuple(keys), where, str(as_of) if as_of is not None else None)

    @classmethod
    def from_dict(cls, shape: dict) -> "MissingFact":
        """A fact from its JSON shape (`to_dict`)."""
        return cls(shape["source"], shape["path"], shape["dataset"], tuple(shape["keys"]), shape["where"],
                   shape["as_of"])

    @property
    def key(self) -> tuple:
        """What makes two facts the same fact, across documents."""
        return (self.source, self.path, self.dataset, self.keys, self.where)

    def text(self, files: dict | None = None) -> str:
        """One line: `ZMB` is not in `states` of reference data `member_states` (`file`, as of 2017-12-31).
        `files` maps data set names to the file each was read from."""
        if self.source == "document":
            return f"`{self.path[2:] if self.path.startswith('$.') else self.path}` is missing from the document"
        data = f"reference data `{self.dataset}`"
        if not self.keys and self.where is None:
            return f"{data} was not given (give it with --data FILE)"
        where = [f"`{files[self.dataset]}`"] if files and self.dataset in files else []
        if self.as_of:
            where.append(f"as of {self.as_of}")
        origin = f" ({', '.join(where)})" if where else ""
        shown = [_key(k) for k in self.keys]
        if self.where is not None:
            return f"no item of `{'.'.join(shown)}` of {data} has {self.where}{origin}"
        if len(shown) == 1:
            return f"`{shown[0]}` is not in {data}{origin}"
        return f"`{shown[-1]}` is not in `{'.'.join(shown[:-1])}` of {data}{origin}"

    def to_dict(self, files: dict | None = None) -> dict:
        """The JSON shape (schemas/report.schema.json, `missing_fact`)."""
        return {"source": self.source, "path": self.path, "dataset": self.dataset,
                "keys": [_json_key(k) for k in self.keys], "where": self.where, "as_of": self.as_of,
                "file": (files or {}).get(self.dataset) if self.dataset else None, "text": self.text(files)}


def _key(key) -> str:
    return str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else format_value(key)


def _json_key(key):
    return key if isinstance(key, (str, int)) and not isinstance(key, bool) else format_value(key)


class Checklist:
    """The distinct missing facts of a run, each with the results and documents it leaves
    undecided. Fed one report at a time (`add`); `ranked()` gives them most needed first."""

    def __init__(self):
        self._entries: dict[tuple, list] = {}  # key -> [fact, results, documents, first document]

    def add(self, report) -> None:
        seen_here = set()
        for result in report.results:
            for fact in result.missing:
                entry = self._entries.setdefault(fact.key, [fact, 0, 0, report.path or "<document>"])
                entry[1] += 1
                if fact.key not in seen_here:
                    seen_here.add(fact.key)
                    entry[2] += 1

    def __bool__(self) -> bool:
        return bool(self._entries)

    def ranked(self) -> list[tuple[MissingFact, int, int, str]]:
        """(fact, results, documents, first document), most results first, then most
        documents, then in the order first met."""
        entries = list(self._entries.values())
        order = {id(e): i for i, e in enumerate(entries)}
        return [tuple(e) for e in sorted(entries, key=lambda e: (-e[1], -e[2], order[id(e)]))]

    def lines(self, files: dict | None = None, numbered: bool = True) -> list[str]:
        """The checklist as text lines: `1. <fact>: 3 results undecided in 2 documents (first a.yaml)`."""
        return [(f"{number}. " if numbered else "") + f"{fact.text(files)}: {_counted(results, documents, first)}"
                for number, (fact, results, documents, first) in enumerate(self.ranked(), 1)]

    def to_list(self, files: dict | None = None) -> list[dict]:
        return [{**fact.to_dict(files), "results": results, "documents": documents, "first_document": first}
                for fact, results, documents, first in self.ranked()]


def _counted(results: int, documents: int, first: str) -> str:
    undecided = f"{results} result{'s' if results != 1 else ''} undecided"
    if documents == 1:
        return f"{undecided} in {first}"
    return f"{undecided} in {documents} documents (first {first})"


def data_files(provenance) -> dict:
    """The file each reference data set was read from, by name, from a run's provenance."""
    if not provenance:
        return {}
    return {entry["kind"]: entry["file"] for entry in provenance.get("data") or () if entry.get("file")}


__all__ = ["Checklist", "MissingFact", "data_files"]
