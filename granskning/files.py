"""Writing output files: all or nothing, Swedish errors, no secret leftovers.

Every file the tool writes (samples, lists, answer templates, reports,
tables) goes through :func:`atomic_write` or :func:`atomic_write_many`:

* The content is written to a temporary file in the target directory and
  moved into place (``os.replace``) only when every file of the set was
  written, so a failed or interrupted run never leaves a half-written file
  or half a set (a CSV sample without its ``.protokoll.json``, or the record
  without the CSV).
* On Linux the temporary file is created with ``O_TMPFILE``: it has no name
  in the directory until it is complete, so even ``kill -9`` (which no
  program can catch) or a power cut leaves nothing behind; the kernel frees
  the unnamed file.  It gets a name only for the instant between ``link``
  and ``rename``, when its content is complete.
* Where ``O_TMPFILE`` is not available (macOS, Windows, some network file
  systems) the temporary file is visible, not hidden, named
  ``<name>.granskning-tmp-<pid>-<random>`` and readable by its owner only
  (0600).  SIGTERM, SIGHUP and Ctrl-C remove it before the program exits; a
  file left by ``kill -9`` is removed by the next run that writes into the
  same directory (its process is gone).  It sits beside the output it was
  meant to become and holds the same data, under the same protection.
* An operating-system error (read-only or full disk, no permission, missing
  directory, over-long name) becomes an :class:`~granskning.errors.InputError`
  in Swedish naming the path (exit code 2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from granskning.errors import InputError

__all__ = ["atomic_write", "atomic_write_many", "make_directory", "output_error"]

TMP_MARK = ".granskning-tmp-"
USE_O_TMPFILE = True  # tests switch it off to exercise the named fallback
_TMP_RE = re.compile(re.escape(TMP_MARK) + r"(\d+)-[0-9a-f]+$")

_REASONS = {
    errno.EACCES: "behörighet saknas att skriva i katalogen",
    errno.EPERM: "behörighet saknas att skriva i katalogen",
    errno.EROFS: "katalogen är skrivskyddad (filsystemet är monterat endast för läsning)",
    errno.ENOSPC: "disken är full",
    errno.EDQUOT: "diskkvoten är slut",
    errno.ENOENT: "katalogen finns inte",
    errno.ENOTDIR: "en del av sökvägen är ingen katalog",
    errno.EISDIR: "sökvägen är en katalog, inte en fil",
    errno.ENAMETOOLONG: "filnamnet är för långt",
    errno.EFBIG: "filen blir för stor för filsystemet",
    errno.EIO: "skrivfel på disken",
}


def output_error(exc: OSError, path: str | Path) -> InputError:
    """Return the Swedish InputError (exit 2) for an OSError met while writing ``path``."""
    reason = _REASONS.get(exc.errno or -1, "filen kunde inte skrivas")
    return InputError(f"kan inte skriva filen: {reason}. Inget har skrivits.", file=path)


def make_directory(path: str | Path) -> Path:
    """Create the output directory ``path`` (and its parents); Swedish InputError on failure."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError("finns redan och är ingen katalog.", file=path) from None
    except OSError as exc:
        reason = _REASONS.get(exc.errno or -1, "katalogen kunde inte skapas")
        if exc.errno == errno.ENOENT:
            reason = "katalogen ovanför finns inte"
        raise InputError(f"kan inte skapa katalogen: {reason}.", file=path) from None
    return path


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Run ``writer`` on a temporary file and move it to ``path`` when it succeeded."""
    atomic_write_many([(Path(path), writer)])


def atomic_write_many(items: Sequence[tuple[str | Path, Callable[[Path], None]]]) -> None:
    """Write every (path, writer) to a temporary file, then move them all into place.

    If any writer fails (or the program is told to stop), no target is touched
    and every temporary file is removed.
    """
    targets = [(Path(p), w) for p, w in items]
    for path, _w in targets:
        _check_target(path)
    with _stop_signals_raise():
        done: list[tuple[_Temp, Path]] = []
        try:
            for path, writer in targets:
                tmp = _Temp(path)
                done.append((tmp, path))
                try:
                    writer(tmp.path)
                    tmp.finish()
                except OSError as exc:
                    raise output_error(exc, path) from None
            for tmp, path in done:
                try:
                    os.replace(tmp.named, path)
                except OSError as exc:
                    raise output_error(exc, path) from None
                tmp.named = None
        finally:
            for tmp, _path in done:
                tmp.discard()


def _check_target(path: Path) -> None:
    try:
        _check_target_unguarded(path)
    except OSError as exc:  # e.g. ENAMETOOLONG from stat
        raise output_error(exc, path) from None


def _check_target_unguarded(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.exists():
        raise InputError("katalogen finns inte.", file=directory)
    if not directory.is_dir():
        raise InputError("är ingen katalog.", file=directory)
    if path.is_dir():
        raise InputError("sökvägen är en katalog, inte en fil.", file=path)
    _sweep(directory)


class _Temp:
    """One temporary file in the target's directory (unnamed with O_TMPFILE when possible)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.directory = target.parent if str(target.parent) else Path(".")
        self.fd: int | None = None
        self.named: Path | None = None
        flag = getattr(os, "O_TMPFILE", None) if USE_O_TMPFILE else None
        if flag is not None and Path("/proc/self/fd").is_dir():
            try:
                self.fd = os.open(self.directory, flag | os.O_WRONLY, 0o600)
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                    raise output_error(exc, target) from None
                self.fd = None
        if self.fd is None:
            self.named = self._new_name()
            try:
                fd = os.open(self.named, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as exc:
                self.named = None
                raise output_error(exc, target) from None
            os.close(fd)

    def _new_name(self) -> Path:
        # The target's name cut to 150 bytes' worth, so that the temporary name stays within
        # the 255 bytes a file name may have even when the target's own name is near that.
        stem = os.fsencode(self.target.name)[:150].decode(errors="ignore")
        return self.directory / f"{stem}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"

    @property
    def path(self) -> Path:
        """The path a writer writes to (for O_TMPFILE: the descriptor's /proc entry)."""
        if self.fd is not None:
            return Path(f"/proc/self/fd/{self.fd}")
        assert self.named is not None
        return self.named

    def finish(self) -> None:
        """Give a complete unnamed file a (temporary) name so that it can be renamed."""
        if self.fd is None:
            return
        os.fsync(self.fd)
        name = self._new_name()
        if not _linkat_follow(f"/proc/self/fd/{self.fd}", name):
            # No linkat here: copy the complete content to a named file (0600) instead.
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self.named = name  # from here on discard() removes it
            with open(f"/proc/self/fd/{self.fd}", "rb") as src, os.fdopen(out, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        self.named = name
        os.close(self.fd)
        self.fd = None

    def discard(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
        if self.named is not None:
            with contextlib.suppress(OSError):
                self.named.unlink()
            self.named = None


def _linkat_follow(src: str, dst: Path) -> bool:
    """Give the file behind ``src`` (a /proc/self/fd entry) the name ``dst``; False if unsupported.

    ``os.link`` calls link(2), which does not follow the /proc symlink to the unnamed
    O_TMPFILE inode (EXDEV); linkat(2) with AT_SYMLINK_FOLLOW does.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        linkat = libc.linkat
    except (OSError, AttributeError):
        return False
    at_fdcwd, at_symlink_follow = -100, 0x400
    rc = linkat(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(str(dst)), at_symlink_follow)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO):
        raise OSError(err, os.strerror(err), str(dst))
    return False  # e.g. EPERM, EXDEV, ENOSYS: fall back to a copy


def _sweep(directory: Path) -> None:
    """Remove temporary files that a killed run (kill -9) left in ``directory``."""
    if os.name != "posix":
        return
    try:
        names = [e.name for e in os.scandir(directory) if TMP_MARK in e.name]
    except OSError:
        return
    for name in names:
        m = _TMP_RE.search(name)
        if m is None or _alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            (directory / name).unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


class Stopped(SystemExit):  # noqa: N818 - it is an exit, like SystemExit
    """The program was told to stop (SIGTERM, SIGHUP) while writing; exit 128 + signal."""


@contextlib.contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception while writing, so temporary files are removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
              if s is not None]
    old = {}

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(128 + signum)

    for s in wanted:
        try:
            old[s] = signal.signal(s, stop)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
