"""The terminal half of ``granskning kontroll``: questionary prompts over a Session.

Keyboard only, Swedish, and no line longer than 78 characters so that it fits
an 80×24 terminal.  Every prompt takes the injectable prompt_toolkit
``input``/``output`` given to :class:`Prompter` (tests drive it with
``create_pipe_input()`` and ``DummyOutput()``); plain text goes to ``out``.

Ctrl-C (or Ctrl-D) anywhere raises :class:`KeyboardInterrupt` out of
:meth:`Prompter.run`; every answer given before it is already committed.
"""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING, Any, TextIO

import questionary
from prompt_toolkit.key_binding import KeyBindings
from questionary import Choice, Separator

from granskning.answers import menu
from granskning.answers.session import Session, Step, check_free_text, show_value
from granskning.checklist.render import condition_words
from granskning.errors import InputError
from granskning.store.database import ConflictError
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.store.database import Case

__all__ = ["Prompter", "WIDTH"]

WIDTH = 78
HELP, SKIP, QUIT, BACK = "\x00hjälp", "\x00hoppa", "\x00avsluta", "\x00tillbaka"
PREVIOUS = "\x00föregående"  # reopen the previous question of the case
DONE, EDIT, MISSING = "\x00klar", "\x00ändra", "\x00saknas"
KEEP, MINE = "\x00behåll", "\x00mitt"
SELECT_HINT = "(piltangenter och Enter)"
CHECKBOX_HINT = "(mellanslag väljer, Enter går vidare)"
ANSWER_HINT = "(tangenten framför svaret, eller pil och Enter)"
CHECKBOX_KEYS_HINT = "(siffra/mellanslag kryssar, Enter går vidare)"
FILTER_HINT = "(skriv för att söka, pil och Enter väljer)"
BACK_TEXT = "‹ Föregående fråga"
RESERVED_KEYS = {"?", "<", "0"}  # help, back and "no answer" in every answer menu


def answer_keys(choices: list[str]) -> list[str]:
    """Return the key that chooses each answer: its first letter when no other has it, else 1–9.

    Ja/Nej are always j/n; two choices starting alike (Barnet vill inte, Barnet
    kan inte) get their position numbers instead.  A choice past the ninth
    without a letter of its own gets no key (the arrows reach it).
    """
    firsts = [c.strip()[:1].casefold() for c in choices]
    keys = []
    for i, first in enumerate(firsts, 1):
        if first.isalpha() and firsts.count(first) == 1 and first not in RESERVED_KEYS:
            keys.append(first)
        else:
            keys.append(str(i) if i <= 9 else "")
    return keys


def fit(text: str, width: int) -> str:
    """Return ``text`` on one line, cut with … to at most ``width`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def summary_lines(head: str, text: str, answer: str) -> list[str]:
    """Return a summary row: the whole question text, wrapped, with its answer after " → "."""
    indent = " " * len(head)
    lines = textwrap.wrap(" ".join(str(text).split()), WIDTH - len(head)) or [""]
    out = [head + lines[0]] + [indent + line for line in lines[1:]]
    tail = f" → {answer}"
    if len(out[-1]) + len(tail) <= WIDTH:
        out[-1] += tail
    else:
        out += textwrap.wrap(answer, WIDTH - len(indent) - 2, initial_indent=indent + "→ ",
                             subsequent_indent=indent + "  ")
    return [line.rstrip() for line in out]


class Prompter:
    """Runs a :class:`Session` as terminal prompts."""

    back = False  # the prompt being asked may offer "‹ Föregående fråga"
    clear_invalid = False  # the prompt being asked clears a wrong value (numbers, dates)

    def __init__(
        self,
        session: Session,
        *,
        input: Any = None,
        output: Any = None,
        out: TextIO | None = None,
    ) -> None:
        self.session = session
        self.io: dict[str, Any] = {}
        if input is not None:
            self.io["input"] = input
        if output is not None:
            self.io["output"] = output
        self.out = out

    # -- plumbing --------------------------------------------------------------

    def say(self, text: str = "") -> None:
        out = self.out or sys.stdout
        out.write(text + "\n")
        out.flush()

    def _ask(self, question: questionary.Question) -> Any:
        try:
            answer = question.unsafe_ask()
        except EOFError:
            raise KeyboardInterrupt from None
        if answer is None:  # questionary's own cancel
            raise KeyboardInterrupt
        return answer

    def select(self, message: str, choices: list[Any], default: Any = None, **kw: Any) -> Any:
        """Ask a menu that is not an answer (cases, what next): it starts on ``default`` or the first."""
        values = [c.value for c in choices if isinstance(c, Choice) and not c.disabled
                  and not isinstance(c, Separator)]
        start = default if default in values else (values[0] if values else None)
        kw.setdefault("instruction", FILTER_HINT if kw.get("match") else SELECT_HINT)
        return self._ask(menu.select(message, choices, start=start, **kw, **self.io))

    # -- the whole session -----------------------------------------------------

    def run(self) -> int:
        """Let the reviewer pick cases and answer them until they quit; return cases finished."""
        s = self.session
        finished = 0
        if not s.cases():
            raise InputError(s.no_cases_message())
        self.say(fit(f"{s.audit.title} – {s.checklist.title}", WIDTH))
        while True:
            case = self.choose_case()
            if case is None:
                return finished
            finished += self.work_on(case)

    def choose_case(self) -> Case | None:
        """Return the case the reviewer picks among the unfinished ones (None = quit)."""
        s = self.session
        open_cases = s.open_cases()
        if not open_cases:
            done, total = s.progress()
            self.say(f"Alla dina ärenden är klara ({done} av {total}).")
            return None
        choices: list[Any] = [Choice(fit(s.case_label(c), WIDTH - 4), value=c.case_id)
                              for c in open_cases]
        choices += [Separator(), Choice("Avsluta", value=QUIT)]
        labels = {c.case_id: s.case_label(c) for c in open_cases}
        finder = s.case_finder()

        def match(text: str, value: Any) -> bool:
            return finder(text, value, labels.get(value, ""))

        picked = self.select(f"Välj ärende ({s.progress_text()}):", choices, match=match,
                             always={QUIT})
        if picked == QUIT:
            return None
        return next(c for c in open_cases if c.case_id == picked)

    def work_on(self, case: Case) -> int:
        """Answer one case, then review it; return 1 when it was marked as reviewed."""
        s = self.session
        s.tidy(case.case_id)
        answers = s.answers(case.case_id)
        data = s.case_data(case.case_id)
        self.say()
        self.say(fit(s.case_label(case), WIDTH))
        header = s.case_header(case)
        if header:
            self.say(textwrap.fill(header, WIDTH, subsequent_indent="  "))
        step = s.next_step(answers, case=data)
        if step is not None and answers:
            n = sum(1 for k in answers if not k.endswith("__motivering"))
            self.say(f"Fortsätter vid {step.question.id} ({antal(n, 'fråga')} {'besvarad' if n == 1 else 'besvarade'}).")
        asked: list[Step] = []  # this visit's questions, for "‹ Föregående fråga"
        while step is not None:
            if self.ask(case.case_id, step, back=bool(asked)):
                step = asked.pop()
                continue
            asked.append(step)
            answers = s.answers(case.case_id)
            step = s.next_step(answers, after=step.question.id, case=data)
        return self.review(case)

    # -- one question ----------------------------------------------------------

    def header(self, step: Step, answers: dict[str, Any], case_id: str) -> None:
        s = self.session
        q = step.question
        number, total = s.position(q, answers, s.case_data(case_id))
        self.say()
        self.say(fit(f"{s.area_title(q)} · fråga {number} av {total}", WIDTH))
        self.say(textwrap.fill(f"{q.id}  {q.text}", WIDTH,
                               subsequent_indent=" " * (len(q.id) + 2)))
        if step.motivation:
            self.say(fit(f"Svaret ”{show_value(q, answers.get(q.id))}” kräver en motivering.",
                         WIDTH))

    def show_help(self, step: Step) -> None:
        q = step.question
        lines = []
        if q.help:
            lines.append(textwrap.fill("Hjälp: " + " ".join(q.help.split()), WIDTH))
        if q.legal_ref:
            lines.append(fit("Lagrum: " + q.legal_ref, WIDTH))
        if q.hindrances:
            lines.append(textwrap.fill("Hinder (räknas inte i nämnaren): "
                                       + ", ".join(q.hindrances), WIDTH))
        if q.condition is not None:
            lines.append(textwrap.fill("Visas när: " + condition_words(q.condition), WIDTH))
        if q.validity is not None:
            rule = q.validity_message or condition_words(q.validity)
            lines.append(textwrap.fill("Kontroll: " + rule, WIDTH))
        self.say("\n".join(lines) or "Ingen hjälptext för den här frågan.")

    def ask(self, case_id: str, step: Step, *, back: bool = False) -> bool:
        """Ask one step until a valid answer is saved (or an optional one is skipped).

        Return True when the reviewer asked for the previous question instead
        (only offered with ``back``).  If someone else changed the answer after
        it was read, the reviewer sees the other value and chooses; nothing is
        overwritten without asking.
        """
        s = self.session
        while True:
            snapshot = s.read(case_id)
            answers = snapshot.values
            self.header(step, answers, case_id)
            self.back = back
            try:
                raw = self.prompt(step, answers.get(step.key))
            finally:
                self.back = False
            if raw == PREVIOUS:
                return True
            if raw == HELP:
                self.show_help(step)
                continue
            value = None if raw == SKIP else raw
            if self.save(case_id, step, value, snapshot.version(step.key)):
                return False

    def save(self, case_id: str, step: Step, value: Any, expected: int) -> bool:
        """Save one answer read at version ``expected``; False when it must be asked again."""

        s = self.session
        while True:
            try:
                done = s.record(case_id, step.key, value, expected_version=expected)
            except ConflictError as exc:
                if exc.question_id != step.key:
                    self.say(textwrap.fill(
                        f"Någon annan ändrade {exc.question_id} i ärendet medan du svarade. "
                        "Ditt svar sparades inte; frågan ställs igen.", WIDTH))
                    return False
                overwrite = self.resolve(step, exc, value)
                if overwrite is None:
                    return True  # the other answer stands
                expected = overwrite
                continue
            except InputError as exc:  # should not happen after validation; ask again
                self.say(fit(f"Fel: {exc.message}", WIDTH))
                return False
            if done.removed:
                self.say(fit("Borttaget (gäller inte längre): " + ", ".join(done.removed),
                             WIDTH))
            if done.computed:
                shown = [f"{k} = {'–' if v is None else show_value(s.checklist.question(k), v)}"
                         for k, v in done.computed]
                self.say(fit("Beräknat: " + ", ".join(shown), WIDTH))
            return True

    def resolve(self, step: Step, conflict: Any, mine: Any) -> int | None:
        """Show an answer someone else changed; return the version to overwrite, or None."""
        s = self.session
        self.say()
        for line in s.conflict_text(conflict, mine):
            self.say(fit(line, WIDTH))
        q = step.question
        theirs = "inget svar" if conflict.current_value is None else show_value(
            q, conflict.current_value)
        own = "inget svar" if mine is None else show_value(q, mine)
        picked = self.select("Vilket svar ska gälla?", [
            Choice(fit(f"Behåll det sparade svaret ({theirs})", WIDTH - 6), value=KEEP),
            Choice(fit(f"Spara mitt svar ({own})", WIDTH - 6), value=MINE),
        ])
        if picked == KEEP:
            self.say(fit(f"Det sparade svaret på {step.key} gäller.", WIDTH))
            return None
        return conflict.current_version

    def prompt(self, step: Step, current: Any) -> Any:
        """Return the raw answer for a step (HELP, SKIP, PREVIOUS or a value)."""
        q = step.question
        has_help = bool(q.help or q.legal_ref or q.hindrances)
        self.clear_invalid = q.type in ("tal", "datum") and not step.motivation
        if step.motivation:
            return self.text("Motivering:", current, required=True, check=self.check_free_text)
        return q.answer_type.prompt(self, q, current, has_help)

    @staticmethod
    def show(q: Any, value: Any) -> str:
        """Return a stored answer as the text prompt shows it for editing."""
        return show_value(q, value)

    def choices(self, q: Any, has_help: bool) -> list[Any]:
        """Return the answer menu of ``q``: choices with their keys, then the side choices."""
        side = set(q.hindrances) | set(q.not_applicable)
        main = [c for c in q.choices if c not in side]
        ordered = main + list(q.hindrances) + list(q.not_applicable)
        keys = dict(zip(ordered, answer_keys(ordered), strict=True))

        def item(c: str) -> Choice:
            key = keys[c]
            return Choice(fit(f"{key}) {c}" if key else f"   {c}", WIDTH - 6), value=c)

        out: list[Any] = [item(c) for c in main]
        if q.hindrances:
            out.append(Separator("── hinder ──"))
            out += [item(c) for c in q.hindrances]
        if q.not_applicable:
            out.append(Separator("── ej tillämpligt ──"))
            out += [item(c) for c in q.not_applicable]
        if not q.required or has_help or self.back:
            out.append(Separator())
        if not q.required:
            out.append(Choice("0) (inget svar)", value=SKIP))
        if has_help:
            out.append(Choice("?) Hjälp och lagrum", value=HELP))
        if self.back:
            out.append(Choice(f"<) {BACK_TEXT}", value=PREVIOUS))
        return out

    def answer(self, q: Any, current: Any, has_help: bool) -> Any:
        """Ask a one-choice question: keys choose at once; the pointer starts on no answer.

        Only an answer already stored (when it is reopened) is pointed at.
        """
        choices = self.choices(q, has_help)
        keys = {c.title.split(")", 1)[0]: c.value for c in choices
                if isinstance(c, Choice) and not isinstance(c, Separator)
                and ")" in str(c.title)[:2]}
        titles = {c: c for c in q.choices} | {SKIP: "(inget svar)", PREVIOUS: BACK_TEXT}
        return self._ask(menu.select(
            f"{q.id}:", choices, instruction=ANSWER_HINT,
            start=current if current in q.choices else None, keys=keys, titles=titles,
            left=PREVIOUS if self.back else None, **self.io,
        ))

    def checkbox(self, q: Any, current: Any, has_help: bool) -> Any:
        """Ask a many-choice question; help and its return never untick a choice."""
        keys = dict(zip(answer_keys([str(i) for i in range(len(q.choices))]), q.choices,
                        strict=True))
        keys.pop("", None)
        actions = {"?": HELP} if has_help else {}
        if self.back:
            actions["<"] = PREVIOUS

        def validate(values: list[str]) -> bool | str:
            if values or not q.required:
                return True
            return "Välj minst ett alternativ (siffra eller mellanslag)."

        ticked = list(current or ())
        while True:
            choices: list[Any] = [Choice(fit(f"{i}) {c}" if i <= 9 else f"   {c}", WIDTH - 8),
                                         value=c) for i, c in enumerate(q.choices, 1)]
            extra = [f"{k} {'hjälp' if v == HELP else 'föregående'}" for k, v in actions.items()]
            hint = CHECKBOX_KEYS_HINT if not extra else (
                CHECKBOX_KEYS_HINT[:-1] + "; " + "; ".join(extra) + ")")
            action, ticked = self._ask(menu.checkbox(
                f"{q.id}:", choices, instruction=hint, checked=ticked, keys=keys,
                actions=actions, validate=validate, **self.io,
            ))
            if action == HELP:
                self.show_help(Step(q))
                continue
            if action == PREVIOUS:
                return PREVIOUS
            return ticked or SKIP

    def text(self, label: str, current: Any, *, required: bool, check: Any,
             allow_help: bool = False) -> Any:
        """Ask for text; ``?`` is help, ``<`` the previous question (when offered).

        A wrong number or date is cleared from the line, its message shown
        below, so the next try starts from nothing.
        """
        back, clear = self.back, self.clear_invalid
        if back:
            label = label[:-1] + " (< = föregående fråga):" if label.endswith(":") else label

        cleared: list[str] = []  # the message of the wrong value just cleared from the line

        def validate(value: str) -> bool | str:
            value = value.strip()
            if (allow_help and value == "?") or (back and value == "<"):
                return True
            if not value:
                if cleared:
                    return cleared[-1]
                return "Svar krävs." if required else True
            cleared.clear()
            try:
                check(value)
            except InputError as exc:
                return fit(exc.detail, WIDTH - 4)
            return True

        bindings = KeyBindings()

        @bindings.add("enter", eager=True)
        def _enter(event: Any) -> None:
            buffer = event.current_buffer
            if not buffer.text.strip():
                cleared.clear()  # Enter on the emptied line: "Svar krävs.", or no answer
            if buffer.validate(set_cursor=True):
                buffer.validate_and_handle()
            elif clear:
                cleared.append(buffer.validation_error.message)
                buffer.text = ""
                buffer.validate(set_cursor=True)

        answer = self._ask(questionary.text(
            label, default="" if current is None else str(current), validate=validate,
            key_bindings=bindings, **self.io
        )).strip()
        if allow_help and answer == "?":
            return HELP
        if back and answer == "<":
            return PREVIOUS
        return answer or SKIP

    @staticmethod
    def check_free_text(value: str) -> None:
        check_free_text(value)

    # -- the summary -------------------------------------------------------------

    def print_summary(self, case: Case, answers: dict[str, Any]) -> None:
        """Print every shown question's text with its answer, wrapped to the screen."""
        s = self.session
        rows = s.summary(answers, s.case_data(case.case_id))
        self.say()
        self.say(fit(f"Sammanfattning: {s.case_label(case)}", WIDTH))
        header = s.case_header(case)
        if header:
            self.say(textwrap.fill(header, WIDTH, subsequent_indent="  "))
        width = min(max((len(r.question_id) for r in rows), default=2), 12)
        for r in rows:
            label = "" if r.motivation else r.question_id
            answer = "(saknas)" if r.missing else (r.answer or "–")
            answer += " (beräknad)" if r.computed else ""
            for line in summary_lines(f"{label:<{width}}  ", r.text, answer):
                self.say(line)

    def review(self, case: Case) -> int:
        """Show the summary until the reviewer marks the case done (1) or leaves it (0)."""
        s = self.session
        while True:
            answers = s.answers(case.case_id)
            self.print_summary(case, answers)
            missing = s.checklist.missing(answers, s.case_data(case.case_id))
            choices: list[Any] = []
            if missing:
                shown = fit(", ".join(missing), 40)
                choices.append(Choice(f"Svara på det som saknas ({shown})", value=MISSING))
            else:
                choices.append(Choice("Klar – markera ärendet som granskat", value=DONE))
            choices += [
                Choice("Ändra ett svar", value=EDIT),
                Choice("Tillbaka till ärendelistan (ärendet är inte klart)", value=BACK),
            ]
            picked = self.select("Vad vill du göra?", choices)
            if picked == DONE:
                s.finish(case.case_id)
                self.say(f"Ärendet är markerat som granskat ({s.progress_text()}).")
                return 1
            if picked == BACK:
                return 0
            if picked == EDIT:
                key = self.pick_question(answers, case.case_id)
                if key is None:
                    continue
                qid = key.split("__", 1)[0]
                self.ask(case.case_id, Step(s.checklist.question(qid), key != qid))
            self.fill_missing(case.case_id)

    def pick_question(self, answers: dict[str, Any], case_id: str) -> str | None:
        rows = self.session.summary(answers, self.session.case_data(case_id))
        choices: list[Any] = []
        for r in rows:
            if r.computed:  # computed from other answers: change those instead
                continue
            label = f"  {r.text}" if r.motivation else f"{r.question_id} {r.text}"
            answer = "(saknas)" if r.missing else (r.answer or "–")
            room = WIDTH - 8 - min(len(answer), 30) - 3
            choices.append(Choice(f"{fit(label, room)} → {fit(answer, 30)}", value=r.key))
        choices += [Separator(), Choice("Tillbaka", value=BACK)]
        picked = self.select("Vilket svar vill du ändra?", choices)
        return None if picked == BACK else picked

    def fill_missing(self, case_id: str) -> None:
        """Ask every required answer or motivation still missing (after an edit)."""
        s = self.session
        data = s.case_data(case_id)
        step = s.next_missing(s.answers(case_id), data)
        while step is not None:
            self.ask(case_id, step)
            step = s.next_missing(s.answers(case_id), data)
