"""The provisions of the text a policy folder encodes (`provisions.yaml`): read when the
policies are built, and kept with them in the policy cache, so this module is on the
path of every run that checks with the shipped policies and stays small."""

from __future__ import annotations

from pathlib import Path

from ..records import Record

PROVISIONS_FILE = "provisions.yaml"


class Sentence(Record, fields="text not_checkable out_of_scope", defaults=(None, None)):
    """One sentence of a provision, and why no clause encodes it, when none does: it is
    `not_checkable` by a machine (and why), or `out_of_scope` (why, and what would make it
    checkable). A sentence that a clause quotes is encoded by that clause."""

    __slots__ = ()


class Provision(Record, fields="cite text not_checkable document_check sentences",
                defaults=(None, False, ())):
    """One citable provision: its citation, its text, why it is not encoded (None when it
    is), `document_check`: a consistency check of the document itself (DOC), which may
    quote any provision, and its `sentences` (a provision of one sentence is that sentence)."""

    __slots__ = ()

    def each_sentence(self) -> tuple[Sentence, ...]:
        """The provision's sentences, in order: as listed, or the whole text as one."""
        return self.sentences or (Sentence(self.text, self.not_checkable),)


class LaterText(Record, fields="after notice"):
    """A later text that may govern documents dated `after` a date (a `datetime.date`):
    the report of such a document carries `notice`."""

    __slots__ = ()


class Provisions(Record, fields="source items later_texts", defaults=((),)):
    """The provisions of one source text (`source`, its title), in order (`items`), and
    the `later_texts` (LaterText) that may govern documents dated after them."""

    __slots__ = ()

    def get(self, cite: str) -> Provision | None:
        return next((p for p in self.items if p.cite == cite), None)


class ProvisionsError(Exception):
    """A provisions file that cannot be used."""


def load_provisions(folder: str | Path) -> Provisions | None:
    """The folder's provisions.yaml, or None if it has none."""
    import yaml

    path = Path(folder) / PROVISIONS_FILE
    if not path.is_file():
        return None
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = tuple(_provision(p) for p in content["provisions"])
        later = tuple(LaterText(_date(entry["after"]), str(entry["notice"])) for entry in content.get("later_texts", ()))
        return Provisions(str(content.get("source", "")), items, later)
    except (OSError, ValueError, RecursionError, yaml.YAMLError, KeyError, TypeError) as error:  # ValueError: not UTF-8, or a bad date
        raise ProvisionsError(f"{path}: not a usable provisions file: {error}") from None


def _provision(entry: dict) -> Provision:
    """A provision from its entry; its sentences, when listed, must make up its text exactly."""
    sentences = tuple(Sentence(str(s["text"]), s.get("not_checkable"), s.get("out_of_scope"))
                      for s in entry.get("sentences", ()))
    if len(sentences) == 1 and not (sentences[0].not_checkable or sentences[0].out_of_scope):
        sentences = ()
    text = str(entry["text"])
    if sentences and " ".join(" ".join(s.text for s in sentences).split()) != " ".join(text.split()):
        raise ValueError(f"the sentences of {entry['cite']} do not make up its text")
    if not sentences and entry.get("out_of_scope"):
        sentences = (Sentence(text, None, entry["out_of_scope"]),)
    return Provision(str(entry["cite"]), text, entry.get("not_checkable"), bool(entry.get("document_check", False)),
                     sentences)


def _date(value):
    import datetime as dt

    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
