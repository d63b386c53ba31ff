"""``granskning kontroll`` in a real process under a pseudo-terminal, killed with SIGKILL.

The reviewer answers four questions by key presses; once the fifth question is
on screen the process gets SIGKILL (no chance to clean up).  Every answer given
before the kill must be in the database, and a new session must resume at the
fifth question.  The expected answers are the keys pressed.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from granskning.checklist import load
from granskning.store.database import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pty finns bara på Unix")

EXE = Path(sys.executable).parent / "granskning"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][0-9A-B]|\r")


class Terminal:
    """A child process on an 80×24 pseudo-terminal, with screen text to wait for."""

    def __init__(self, args: list[str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "80",
               "LINES": "24"}
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        self.seen = ""

    def wait_for(self, pattern: str, timeout: float = 20.0) -> str:
        """Read until ``pattern`` (a regex) appears in the text since the last match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.seen)
            if m:
                text, self.seen = self.seen[: m.end()], self.seen[m.end():]
                return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"väntade på {pattern!r}, fick:\n{self.seen[-1500:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child is gone
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"processen slutade; väntade på {pattern!r}:\n"
                                         f"{self.seen[-1500:]}")
                self.seen += ANSI.sub("", chunk.decode("utf-8", "replace"))

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.fd)


@pytest.fixture
def db(tmp_path) -> str:
    chk = load("forhandsbedomning-0-12")
    url = str(tmp_path / "granskning.db")
    with Store.open(url, create=True) as store:
        store.init()
        store.create_audit("Vårens granskning", "granskning", chk.id, chk.version, chk.sha256,
                           None, {}, "test")
        store.add_cases(1, [{"case_id": f"FB-{i}", "stratum": "Farsta", "draw_order": i}
                            for i in (1, 2)])
        store.assign(1, {"FB-1": "Anna", "FB-2": "Anna"})
    return url


@pytest.mark.skipif(not EXE.exists() and not shutil.which("granskning"),
                    reason="granskning är inte installerat i miljön")
def test_sigkill_mid_checklist_loses_nothing_and_resumes(db):
    args = [str(EXE), "kontroll", "--granskning", "1", "--granskare", "Anna", "--db", db]
    term = Terminal(args)
    try:
        term.wait_for(r"Välj ärende \(0 av 2 klara\)")
        term.send("\r")  # FB-1
        term.wait_for(r"\? F1:")
        term.send("1")  # Polisen (F1 has eleven choices: numbered)
        term.wait_for(r"\? F2:")
        term.send(" \r")  # the first cause only
        term.wait_for(r"\? F13:")
        term.send("2")  # Ja – diffusa uppgifter
        term.wait_for(r"\? F15:")
        term.send("n")  # Nej (n: the other two start with J)
        term.wait_for(r"F3  Gjordes en korrekt omedelbar skyddsbedömning")
        term.wait_for(r"\? F3:")
        os.killpg(term.proc.pid, signal.SIGKILL)
        assert term.proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        term.close()

    with Store.open(db) as store:
        assert store.answers(1, "FB-1") == {
            "F1": "Polisen",
            "F2": ["Oro för bristande omsorg"],
            "F13": "Ja – diffusa uppgifter",
            "F15": "Nej",
        }

    term = Terminal(args)
    try:
        term.wait_for(r"Välj ärende \(0 av 2 klara\)")
        term.send("\r")
        term.wait_for(r"Fortsätter vid F3 \(4 frågor besvarade\)\.")
        term.wait_for(r"\? F3:")
        term.send("j")  # Ja
        term.wait_for(r"\? F4:")
        term.send("\x03")  # Ctrl-C
        term.wait_for(r"Avbrutet\. Dina svar är sparade\. Fortsätt med: granskning kontroll\s+"
                      r"--granskning 1\s+--granskare Anna")
        assert term.proc.wait(timeout=10) == 130
    finally:
        term.close()
    with Store.open(db) as store:
        assert store.answers(1, "FB-1")["F3"] == "Ja"
