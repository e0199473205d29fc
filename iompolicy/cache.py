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

_FORMAT = 15  # bump when what is cached changes shape (15: kept generated functions raise a kept Undecided again as a copy)


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
