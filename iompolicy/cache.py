"""An on-disk cache of checked policy sets, so a command-line run skips Lark,
the checker and schema code generation when nothing changed.

The key is a SHA-256 of iompolicy's version, the Python version and the text of
every policy, provisions and schema file, so any edit invalidates it. So that a
run where nothing was touched need not hash every file with SHA-256 (and import
hashlib), a second index finds the entry by each file's path, size and
modification time (to the nanosecond). A write that keeps both (`touch -r`, a
restored backup, a file system with coarse times) is still caught: an entry found
by that index is used only if a CRC-32 of each file's bytes, read again on every
run, is the one stored with it (about 0.1 ms for the shipped policies). The cache
lives in `$IOMPOLICY_CACHE_DIR`, else `$XDG_CACHE_HOME/iompolicy`, else
`~/.cache/iompolicy`, in a folder only its owner may write; `IOMPOLICY_NO_CACHE=1`
turns it off. A cache entry that cannot be read is ignored and rebuilt.

Reference data is kept there too (`load_data`, `store_data`): a register file that a run
read and validated is put back, not parsed again, while its bytes are the same (SHA-256),
the policy set is the same entry of this cache (so the same schemas), and so are the
limits, iompolicy's version, the source of the code that reads and validates a
document and PyYAML's version. A file has one entry for each policy
set that read it (two sets side by side, as `iompolicy diff` loads them, do not take turns
replacing one), replaced when the file changes, so the folder does not grow with every
edit of a register.
"""

from __future__ import annotations

import os
import sys
from binascii import crc32  # zlib's sum too; binascii is loaded already (PyYAML's base64), zlib's library is not
from pathlib import Path

try:  # CPython's unpickler itself: `pickle.load` is this very function, but importing `pickle`
    from _pickle import load as _unpickle  # also loads its 90 KB pure-Python twin (about 1.5 ms)
except ImportError:  # another implementation of Python
    from pickle import load as _unpickle

from . import __version__

_FORMAT = 17  # bump when what is cached changes shape (17: each kind's validator its own entry; 16: reference data kept; 15: kept generated functions raise a kept Undecided again as a copy)


def cache_dir() -> Path | None:
    """Where cache entries live, or None when caching is off."""
    if os.environ.get("IOMPOLICY_NO_CACHE"):
        return None
    explicit = os.environ.get("IOMPOLICY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iompolicy"


def key(texts: dict[str, str]) -> str:
    """A digest of everything a built policy set depends on."""
    import hashlib  # only when the stat index missed: it costs a few ms to import

    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0{sys.version}\0".encode())
    for name in sorted(texts):
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(texts[name].encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def signature(paths: list[Path]) -> str:
    """Each file's path, size and modification time, with the versions: what the stat index keys on."""
    parts = [f"{_FORMAT}", __version__, sys.version]
    for path in paths:
        info = os.stat(path)
        parts.append(f"{path}\0{info.st_size}\0{info.st_mtime_ns}")
    return "\0".join(parts)


def _stat_name(text: str) -> str:
    return f"stat-{crc32(text.encode('utf-8', 'surrogateescape')):08x}-{len(text)}"


def checksums(paths: list[Path]) -> list[int] | None:
    """A CRC-32 of each file's bytes (None if one cannot be read): the content check of the
    stat index. Not a defence against someone who can write the policies (they choose
    them anyway), but no edit made by mistake keeps size, time and CRC alike."""
    sums = []
    try:
        for path in paths:
            with open(path, "rb") as stream:
                sums.append(crc32(stream.read()))
    except OSError:
        return None
    return sums


def load_by_signature(text: str, paths: list[Path]):
    """The cached object whose files are as they were when it was stored (same path, size,
    modification time and content), or None."""
    found = load(_stat_name(text), prefix="")
    if isinstance(found, dict) and found.get("signature") == text:  # the name is short: compare it whole
        sums = checksums(paths)
        if sums is not None and found.get("checksums") == sums:
            return found["entry"]
    return None


def store_by_signature(text: str, value, paths: list[Path]) -> None:
    sums = checksums(paths)
    if sums is not None:
        store(_stat_name(text), {"signature": text, "checksums": sums, "entry": value}, prefix="")


def load(digest: str, prefix: str = "policies-"):
    """The cached object for a key, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{prefix}{digest}.pickle"
    try:
        if not _trusted(folder):
            return None
        with open(path, "rb") as stream:
            return _unpickle(stream)
    except Exception:  # a missing, stale or damaged entry is simply rebuilt
        return None


def store(digest: str, value, prefix: str = "policies-") -> None:
    """Write an entry atomically; failing to write is not an error (the cache is optional)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(folder):
            return
        import pickle  # only when writing, like tempfile: a run that finds its entry never needs them
        import tempfile

        handle, temporary = tempfile.mkstemp(prefix=".policies-", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / f"{prefix}{digest}.pickle")
    except Exception:
        return


def _trusted(folder: Path) -> bool:
    """Only read a cache folder that is ours and that nobody else can write to:
    a pickle from elsewhere could run code."""
    if not hasattr(os, "getuid"):
        return True
    info = folder.stat()
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


class KeptValidators:
    """The generated validators of a cached policy set, one entry per document kind (see
    `documents.validation.Validator`): a run reads those of the kinds it validates, not all
    (the shipped schemas' code is some 335 KB). Written when the set is built."""

    __slots__ = ("key",)

    def __init__(self, key: str):
        self.key = key  # the policy set's entry (its digest covers the schemas' texts)

    def _entry(self, kind: str) -> str:
        # the kind's name is a schema's text, not a file name: its CRC names the entry, and the
        # entry holds the name itself, compared when read
        return f"{self.key}-{crc32(kind.encode('utf-8', 'surrogatepass')):08x}"  # any text a schema holds

    def load(self, kind: str) -> tuple[str, bytes] | None:
        """The kind's (function name, marshalled code), or None."""
        found = load(self._entry(kind), prefix="validator-")
        if (isinstance(found, tuple) and len(found) == 3 and found[0] == kind and isinstance(found[1], str)
                and isinstance(found[2], bytes)):
            return found[1], found[2]
        return None

    def store(self, kind: str, code: tuple[str, bytes]) -> None:
        store(self._entry(kind), (kind, *code), prefix="validator-")


# ---- reference data --------------------------------------------------------------------

def data_context(policy_key: str | None, limits: tuple) -> tuple | None:
    """What a kept register's reading depends on besides its bytes: the policy set's entry
    (`PolicySet.cache_key`, the digest of its schemas among its texts), the limits it was
    read under, the versions of the format, iompolicy, Python and PyYAML, and the source of
    the code that reads and validates a document (`reader_sources`).
    None when the cache is off, or for a policy set that is not from it: its registers are
    not kept either (and the readers' sources are not read for nothing)."""
    if policy_key is None or cache_dir() is None:
        return None
    return (_FORMAT, __version__, sys.version, _readers(), policy_key, tuple(limits))


def load_data(path: str, digest: str, context: tuple):
    """(the Document, its kind's name) as a run read and validated `path` when it held the
    bytes of this digest (`provenance.digest_bytes`) under this context, named `path` as
    given now; or None."""
    found = load(_data_name(path, context), prefix="data-")
    if not isinstance(found, dict) or found.get("path") != os.path.abspath(path) or found.get("context") != context:
        return None
    if found.get("digest") != digest:
        return None
    document = found["document"]
    document.name = path
    return document, found["kind"]


def store_data(path: str, digest: str, context: tuple, document, kind: str) -> None:
    """Keep a register read and validated (replacing what was kept of the same file under
    the same context), with the digest of its bytes."""
    store(_data_name(path, context), {"path": os.path.abspath(path), "digest": digest, "context": context,
                             "document": document, "kind": kind}, prefix="data-")


def _data_name(path: str, context: tuple) -> str:
    """The entry of a file read under a context (both compared whole inside it)."""
    named = f"{os.path.abspath(path)}\0{context!r}".encode("utf-8", "surrogateescape")
    return f"{crc32(named):08x}-{len(named)}"


_READERS = None
# Beside the documents stage: what its readers and validator run of the rest of the package
# (tests/cli/test_data_cache.py traces a reading and holds the list to it)
_READER_SOURCES = ("values.py", "limits.py", "patterns.py", "records.py", "stopping.py", "language/schemas.py")


def reader_sources() -> list[str]:
    """The source files whose code reads and validates a document: every module of the
    documents stage and those of `_READER_SOURCES`."""
    package = os.path.dirname(os.path.abspath(__file__))
    stage = os.path.join(package, "documents")
    try:
        names = sorted(name for name in os.listdir(stage) if name.endswith(".py"))
    except OSError:  # no source beside the package (a zip, say): the version decides
        names = []
    return [os.path.join(stage, name) for name in names] + [os.path.join(package, *name.split("/"))
                                                              for name in _READER_SOURCES]


def _readers() -> str:
    """A CRC-32 of the source of the code that reads and validates a document, and PyYAML's
    version and build, so that a register kept by other readers (a development checkout,
    edited; PyYAML upgraded) is read again."""
    global _READERS
    if _READERS is None:
        import yaml

        sums = [f"{yaml.__version__}-{getattr(yaml, '__with_libyaml__', False)}"]
        for path in reader_sources():
            try:
                with open(path, "rb") as stream:
                    sums.append(f"{crc32(stream.read()):08x}")
            except OSError:
                sums.append("-")
        _READERS = " ".join(sums)
    return _READERS
