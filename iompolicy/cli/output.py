"""Where `--output` writes, without damaging anything.

A report replaces a regular file (or makes a new one) atomically: it is written to a
temporary file beside it, given the old file's mode (or, for a new file, the mode the
umask allows), and renamed over it once whole. An interrupted run (an error, SIGINT,
SIGTERM) leaves the old file or the new one, never half of one, and no temporary file.
A symbolic link is followed: the file it points to is replaced, the link stays.

Anything that is not a regular file cannot be renamed over without destroying it: a
device (`/dev/null`, `/dev/stdout`) or a named pipe is written to directly, a folder or
socket is refused. A file the run reads (a document, reference data, waivers, a
policy, the settings) is never written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat

from .common import RunError


def _refuse(output: str, why: str) -> RunError:
    return RunError([f"{output}: {why}"])


def _cannot_write(output: str, error: OSError) -> RunError:
    return _refuse(output, f"cannot write the report: {error.strerror or error}")


def guard(output: str, protected: list[str]) -> None:
    """Refuse (RunError) an output that is one of the run's own files, or that cannot be
    written in any way (a folder, a socket). Called before any document is checked."""
    try:
        status = os.stat(output)  # follows a symbolic link: what would be written
    except FileNotFoundError:
        return
    except OSError as error:
        raise _cannot_write(output, error) from None
    if stat.S_ISDIR(status.st_mode):
        raise _refuse(output, "--output names a folder; name a file")
    if stat.S_ISSOCK(status.st_mode):
        raise _refuse(output, "--output names a socket; name a file, a device or a named pipe")
    for name in protected:
        with contextlib.suppress(OSError):
            if name != "-" and os.path.samestat(status, os.stat(name)):
                raise _refuse(output, f"--output names a file this run reads ({name}); refused, "
                                      "to leave it as it is")


@contextlib.contextmanager
def report_file(output: str):
    """A text stream onto `output` (see the module's docstring for how)."""
    target = os.path.realpath(output)  # a symbolic link's file is replaced, not the link
    try:
        status = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise _cannot_write(output, error) from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        with _straight(output) as stream:  # a device or a named pipe: renaming over it would destroy it
            yield stream
        return
    with _atomic(output, target, status) as stream:
        yield stream


@contextlib.contextmanager
def _straight(output: str):
    try:
        with open(output, "w", encoding="utf-8") as stream:
            yield stream
    except OSError as error:
        raise _cannot_write(output, error) from None


def _new_file_mode() -> int:
    """The mode `open()` gives a new file: 0o666 less the umask (read by setting it back)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _atomic(output: str, target: str, status):
    import tempfile

    try:
        handle, temporary = tempfile.mkstemp(prefix=".iompolicy-", dir=os.path.dirname(target))
    except OSError as error:
        raise _cannot_write(output, error) from None
    try:
        with _removed_on_signal(temporary):
            # mkstemp makes the file 0600; the report takes the mode the old file had
            os.fchmod(handle, stat.S_IMODE(status.st_mode) if status else _new_file_mode())
            if status is not None and (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give a file away; others keep theirs
                    os.fchown(handle, status.st_uid, status.st_gid)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                yield stream
            os.replace(temporary, target)
    except OSError as error:
        raise _cannot_write(output, error) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


class Interrupted(SystemExit):
    """SIGTERM or SIGINT while a report was being written: exit 128 + the signal's number
    once the temporary file is removed (a SystemExit, so it runs `finally` blocks)."""


@contextlib.contextmanager
def _removed_on_signal(temporary: str):
    """While the body runs, SIGTERM and SIGINT unwind it (removing the temporary file)
    instead of killing the process where it stands."""

    def interrupted(number, frame):
        raise Interrupted(128 + number)

    previous = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[number] = signal.signal(number, interrupted)
        except ValueError:  # not the main thread (the API in a worker): signals are not ours to take
            break
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
