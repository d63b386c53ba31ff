"""Run a command under a pseudo-terminal (80×24) and type into it as a person would.

Used by the pty test of ``granskning kontroll`` and by hand to time the session.
The terminal answers prompt_toolkit's cursor-position requests, like a real one.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

CPR_REQUEST = b"\x1b[6n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][0-9A-B]|\x1b[=>]|\r")


class Terminal:
    """A child process on an 80×24 pty; :meth:`expect` waits for text, :meth:`type` sends keys."""

    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None,
                 cwd: str | None = None, rows: int = 24, columns: int = 80) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=cwd, start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.raw = b""
        self.keys = 0

    def _read(self, timeout: float) -> bool:
        ready, _w, _x = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the child has exited and closed the pty
            return False
        if not chunk:
            return False
        for _ in range(chunk.count(CPR_REQUEST)):
            os.write(self.fd, b"\x1b[1;1R")
        self.raw += chunk
        return True

    def text(self) -> str:
        """Return everything shown so far, without escape sequences."""
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def expect(self, wanted: str, timeout: float = 30.0, *, start: int = 0) -> float:
        """Wait until ``wanted`` has been shown (after character ``start``); return the time taken."""
        t0 = time.monotonic()
        while wanted not in self.text()[start:]:
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{wanted!r} kom aldrig; skärmen:\n{self.text()[-2000:]}")
            self._read(0.05)
        return time.monotonic() - t0

    def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Wait until nothing has been drawn for ``quiet`` seconds."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout and self._read(quiet):
            pass

    def type(self, keys: str, *, pause: float = 0.03) -> None:
        """Send ``keys`` one at a time with a short pause, as typed; count them."""
        for key in re.findall(r"\x1b\[[A-D]|.", keys, flags=re.S):
            os.write(self.fd, key.encode("utf-8"))
            self.keys += 1
            time.sleep(pause)
            self._read(0)

    def wait(self, timeout: float = 30.0) -> int:
        """Return the exit code once the child has finished (reading what it shows)."""
        t0 = time.monotonic()
        while self.proc.poll() is None and time.monotonic() - t0 < timeout:
            self._read(0.05)
        self.settle(0.05, 1.0)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.fd)
