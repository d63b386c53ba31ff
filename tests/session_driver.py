"""The prompt driver of the session tests: real questionary prompts on a pipe input and an
80×24 VT100 screen captured as text, so a test sees what a reviewer sees.

Shared by the answers wing's session tests and the store's concurrency tests (a test module
of one wing never imports another wing's test module). Keys: Enter "\\r", Up "\\x1b[A",
Down "\\x1b[B", Space " ", Backspace "\\x7f", Ctrl-C "\\x03".
"""

from __future__ import annotations

import io
import re
import threading
import time

from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from granskning.answers.prompts import Prompter
from granskning.answers.session import Session
from granskning.errors import InputError

ENTER, UP, DOWN, SPACE, BACKSPACE, CTRL_C = "\r", "\x1b[A", "\x1b[B", " ", "\x7f", "\x03"


class Screen:
    """An 80×24 VT100 output captured as text (escape sequences removed)."""

    def __init__(self) -> None:
        self.buf = io.StringIO()
        self.output = Vt100_Output(self.buf, lambda: Size(rows=24, columns=80), term="xterm",
                                   enable_cpr=False)

    def text(self) -> str:
        raw = self.buf.getvalue()
        return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][0-9A-B]|\r", "", raw)


class Await(str):
    """In a list of keys for :func:`drive`: wait until this text has been drawn, send nothing."""


def drive(session: Session, keys: str | list[str]) -> tuple[str, str, BaseException | None]:
    """Run the prompts on ``keys``; return (printed text, prompt screen, exception).

    A string is sent at once: prompts answered from type-ahead are never drawn
    with their choices.  A list is sent piece by piece, each piece once the
    screen has changed and settled, so that each prompt is drawn (and its
    validation message shown) before the next keys.  "Settled" can be fooled on a
    loaded machine (the echo of typed keys is drawn, then nothing for a while), so a
    list may hold :class:`Await` texts: the next keys go only once that text is drawn.
    """
    screen, printed = Screen(), io.StringIO()
    error: BaseException | None = None
    with create_pipe_input() as inp:
        if isinstance(keys, str):
            inp.send_text(keys + CTRL_C)  # never wait for keys that will not come
            sender = None
        else:
            def send() -> None:
                seen = ""
                for chunk in [*keys, CTRL_C]:
                    if isinstance(chunk, Await):
                        deadline = time.monotonic() + 20  # a guard against a hang
                        while chunk not in screen.text() and time.monotonic() < deadline:
                            time.sleep(0.01)
                        continue
                    deadline = time.monotonic() + 20  # a guard against a hang, not a timing
                    while time.monotonic() < deadline:
                        now = screen.buf.getvalue()
                        if now != seen:
                            time.sleep(0.05)
                            if screen.buf.getvalue() == now:
                                break
                        else:
                            time.sleep(0.01)
                    seen = screen.buf.getvalue()
                    inp.send_text(chunk)

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
        try:
            Prompter(session, input=inp, output=screen.output, out=printed).run()
        except (KeyboardInterrupt, InputError) as exc:
            error = exc
        if sender is not None:
            sender.join()
    return printed.getvalue(), screen.text(), error
