"""Loading policies, the cold path: policy files to checked syntax, in named stages.

`engine.PolicySet.load` runs them in this order:

    locate     the *.iom files under each folder, and each folder's provisions.yaml
    (cache)    a policy set whose files did not change comes from the cache: skip to compile
    read       each file's text: UTF-8, or a located problem (`read_policy_texts`)
    parse      text to syntax nodes with spans (language.parser, language.build)
    check      names, types and selectors against the kinds' schemas (language.checker)
    cite       each clause cites a provision of its folder and quotes it (traceability.coverage)
    constants  every `const` has a value, found at load time (evaluation.clause)
    compile    closures per clause under the readings chosen (engine.PolicySet)

`STAGES` is the list from parse to constants: what a policy text must get through before it
is cached. Each stage adds its problems; all are reported together, except that `constants`
runs only on policies the earlier stages found nothing wrong with (evaluating a constant of
a policy that does not type-check would report the same mistake twice).
"""

from __future__ import annotations

import os
from pathlib import Path

from .language.schemas import SchemaSet
from .language.source import Diagnostic, PolicyError, SourceFile, Span
from .records import Record


# Records, not dataclasses: this module is on every command's start (see the record
# styles in the package's docstring).
class Loading(Record, fields="sources schemas provisions files"):
    """What the stages share: the sources ({name: SourceFile}), the SchemaSet, the provisions
    each folder's clauses cite (a list of (folder, Provisions); "" is every folder) and the
    files parsed so far (a list of PolicyFile)."""

    __slots__ = ()


class Stage(Record, fields="name does run only_if_clean", defaults=(False,)):
    """One named step of loading: `run(loading)` returns the problems it found;
    `only_if_clean` stages run only when the stages before them found nothing."""

    __slots__ = ()


def _parse(loading: Loading) -> list[Diagnostic]:
    from .language.build import build_file

    problems: list[Diagnostic] = []
    for source in loading.sources.values():
        policy_file, found = build_file(source)
        problems.extend(found)
        if policy_file is not None:
            loading.files.append(policy_file)
    if not loading.sources:
        problems.append(Diagnostic("empty_policy_set", "no policy files (*.iom) were found", None,
                                   "point --policies at a folder of .iom files"))
    return problems


def _check(loading: Loading) -> list[Diagnostic]:
    from .language.checker import Checker

    return Checker(loading.schemas).check(loading.files)


def _cite(loading: Loading) -> list[Diagnostic]:
    if not loading.provisions:
        return []
    from .traceability.coverage import check_citations

    problems: list[Diagnostic] = []
    for folder, listed in loading.provisions:
        under = [f for f in loading.files if not folder or Path(f.path).is_relative_to(folder)]
        problems.extend(check_citations(under, listed))
    return problems


def _constants(loading: Loading) -> list[Diagnostic]:
    from .evaluation.clause import check_constants

    return check_constants(loading.files)


STAGES = (
    Stage("parse", "text to syntax nodes with spans", _parse),
    Stage("check", "names, types and selectors against the kinds' schemas", _check),
    Stage("cite", "each clause cites a listed provision and quotes it", _cite),
    Stage("constants", "every `const` has a value", _constants, only_if_clean=True),
)


def run_stages(texts: dict[str, str], schemas: SchemaSet, provisions: list) -> Loading:
    """Policy texts ({file name: text}) through `STAGES`; a PolicyError with every problem found."""
    # A byte-order mark is legal at the start of a UTF-8 file and is not part of its text.
    sources = {name: SourceFile(name, text.removeprefix("\ufeff")) for name, text in texts.items()}
    loading = Loading(sources, schemas, provisions, [])
    problems: list[Diagnostic] = []
    for stage in STAGES:
        if not (stage.only_if_clean and problems):
            problems.extend(stage.run(loading))
    if problems:
        raise PolicyError(problems, sources)
    return loading


def read_policy_texts(paths: list[Path]) -> dict[str, str]:
    """The `read` stage: {path: text} of policy files; a path that is not a readable UTF-8 file
    is a PolicyError naming it (with the line and column of a byte that is not UTF-8)."""
    texts, diagnostics = {}, []
    for path in paths:
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            diagnostics.append(Diagnostic("not_a_policy_file", "is a folder, not a policy file", _whole(path),
                                          "rename the folder: every *.iom under --policies is read as a policy"))
            continue
        except OSError as error:
            diagnostics.append(Diagnostic("unreadable", f"cannot be read: {error.strerror or error}", _whole(path)))
            continue
        try:
            texts[str(path)] = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            diagnostics.append(Diagnostic("not_utf8", f"not UTF-8 text (byte 0x{data[error.start]:02x})",
                                          Span(str(path), error.start, error.start + 1, line, column),
                                          "save the file as UTF-8"))
    if diagnostics:
        raise PolicyError(diagnostics)
    return texts


def locate(folders: list[Path]) -> tuple[list[Path], list[Path]]:
    """The `locate` stage: the policy files under each folder (sorted) and the folders'
    provisions.yaml files; a folder that is not one is a PolicyError."""
    for one in folders:
        if not one.is_dir():
            what = "is a file, not a folder of policies" if one.exists() else "no such folder of policies"
            raise PolicyError([Diagnostic("no_policies", what, _whole(one), "give the folder that holds the *.iom files")])
    policy_paths = [p for one in folders for p in files_ending(one, ".iom")]
    provisions_paths = [one / "provisions.yaml" for one in folders if (one / "provisions.yaml").is_file()]
    return policy_paths, provisions_paths


def files_ending(folder: Path, ending: str) -> list[Path]:
    """The paths under `folder` and its subfolders (not followed through links) whose names
    end with `ending`, sorted: `sorted(folder.rglob("*" + ending))` without the pattern
    pathlib compiles for it (0.2 to 0.3 ms of every check's start). A folder so named is
    one of them, as with rglob: reading it says what it is."""
    return sorted(Path(top, name) for top, subfolders, names in os.walk(folder) for name in subfolders + names
                  if os.path.normcase(name).endswith(ending))


def _whole(path: Path) -> Span:
    """A place for a problem of a whole file: its start."""
    return Span(str(path), 0, 0, 1, 1)
