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
from questionary import Choice, Separator

from granskning.answers.session import Session, Step, show_value
from granskning.errors import InputError
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.store.database import Case

__all__ = ["Prompter", "WIDTH"]

WIDTH = 78
HELP, SKIP, QUIT, BACK = "\x00hjälp", "\x00hoppa", "\x00avsluta", "\x00tillbaka"
DONE, EDIT, MISSING = "\x00klar", "\x00ändra", "\x00saknas"
KEEP, MINE = "\x00behåll", "\x00mitt"
SELECT_HINT = "(piltangenter och Enter)"
CHECKBOX_HINT = "(mellanslag väljer, Enter går vidare)"


def fit(text: str, width: int) -> str:
    """Return ``text`` on one line, cut with … to at most ``width`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


class Prompter:
    """Runs a :class:`Session` as terminal prompts."""

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
        if default is not None and not any(
            isinstance(c, Choice) and c.value == default for c in choices
        ):
            default = None
        return self._ask(questionary.select(
            message, choices=choices, default=default, instruction=SELECT_HINT, **kw, **self.io
        ))

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
        picked = self.select(f"Välj ärende ({s.progress_text()}):", choices)
        if picked == QUIT:
            return None
        return next(c for c in open_cases if c.case_id == picked)

    def work_on(self, case: Case) -> int:
        """Answer one case, then review it; return 1 when it was marked as reviewed."""
        s = self.session
        s.tidy(case.case_id)
        answers = s.answers(case.case_id)
        self.say()
        self.say(fit(s.case_label(case), WIDTH))
        step = s.next_step(answers)
        if step is not None and answers:
            n = sum(1 for k in answers if not k.endswith("__motivering"))
            self.say(f"Fortsätter vid {step.question.id} ({antal(n, 'fråga')} {'besvarad' if n == 1 else 'besvarade'}).")
        after: str | None = None
        while step is not None:
            self.ask(case.case_id, step)
            after = step.question.id
            answers = s.answers(case.case_id)
            step = s.next_step(answers, after=after)
        return self.review(case)

    # -- one question ----------------------------------------------------------

    def header(self, step: Step, answers: dict[str, Any]) -> None:
        s = self.session
        q = step.question
        number, total = s.position(q, answers)
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
            from granskning.checklist.render import condition_words

            lines.append(textwrap.fill("Visas när: " + condition_words(q.condition), WIDTH))
        if q.validity is not None:
            from granskning.checklist.render import condition_words

            rule = q.validity_message or condition_words(q.validity)
            lines.append(textwrap.fill("Kontroll: " + rule, WIDTH))
        self.say("\n".join(lines) or "Ingen hjälptext för den här frågan.")

    def ask(self, case_id: str, step: Step) -> None:
        """Ask one step until a valid answer is saved (or an optional one is skipped).

        If someone else changed the answer after it was read, the reviewer sees
        the other value and chooses; nothing is overwritten without asking.
        """
        s = self.session
        while True:
            snapshot = s.read(case_id)
            answers = snapshot.values
            self.header(step, answers)
            raw = self.prompt(step, answers.get(step.key))
            if raw == HELP:
                self.show_help(step)
                continue
            value = None if raw == SKIP else raw
            if self.save(case_id, step, value, snapshot.version(step.key)):
                return

    def save(self, case_id: str, step: Step, value: Any, expected: int) -> bool:
        """Save one answer read at version ``expected``; False when it must be asked again."""
        from granskning.store.database import ConflictError

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
        """Return the raw answer for a step (HELP, SKIP or a value)."""
        q = step.question
        has_help = bool(q.help or q.legal_ref or q.hindrances)
        if step.motivation:
            return self.text("Motivering:", current, required=True, check=self.check_free_text)
        return q.answer_type.prompt(self, q, current, has_help)

    @staticmethod
    def show(q: Any, value: Any) -> str:
        """Return a stored answer as the text prompt shows it for editing."""
        return show_value(q, value)

    def choices(self, q: Any, has_help: bool) -> list[Any]:
        side = set(q.hindrances) | set(q.not_applicable)
        out: list[Any] = [Choice(fit(c, WIDTH - 6), value=c) for c in q.choices if c not in side]
        if q.hindrances:
            out.append(Separator("── hinder ──"))
            out += [Choice(fit(c, WIDTH - 6), value=c) for c in q.hindrances]
        if q.not_applicable:
            out.append(Separator("── ej tillämpligt ──"))
            out += [Choice(fit(c, WIDTH - 6), value=c) for c in q.not_applicable]
        if not q.required or has_help:
            out.append(Separator())
        if not q.required:
            out.append(Choice("(inget svar)", value=SKIP))
        if has_help:
            out.append(Choice("? Hjälp och lagrum", value=HELP))
        return out

    def checkbox(self, q: Any, current: Any, has_help: bool) -> Any:
        picked = set(current or ())
        choices: list[Any] = [Choice(fit(c, WIDTH - 8), value=c, checked=c in picked)
                              for c in q.choices]
        if has_help:
            choices += [Separator(), Choice("? Hjälp och lagrum", value=HELP)]

        def validate(values: list[str]) -> bool | str:
            if HELP in values or values or not q.required:
                return True
            return "Välj minst ett alternativ (mellanslag)."

        values = self._ask(questionary.checkbox(
            f"{q.id}:", choices=choices, validate=validate, instruction=CHECKBOX_HINT,
            **self.io,
        ))
        if HELP in values:
            return HELP
        return values or SKIP

    def text(self, label: str, current: Any, *, required: bool, check: Any,
             allow_help: bool = False) -> Any:
        def validate(value: str) -> bool | str:
            value = value.strip()
            if allow_help and value == "?":
                return True
            if not value:
                return "Svar krävs." if required else True
            try:
                check(value)
            except InputError as exc:
                return fit(exc.detail, WIDTH - 4)
            return True

        answer = self._ask(questionary.text(
            label, default="" if current is None else str(current), validate=validate, **self.io
        )).strip()
        if allow_help and answer == "?":
            return HELP
        return answer or SKIP

    @staticmethod
    def check_free_text(value: str) -> None:
        from granskning.answers.session import check_free_text

        check_free_text(value)

    # -- the summary -------------------------------------------------------------

    def print_summary(self, case: Case, answers: dict[str, Any]) -> None:
        s = self.session
        rows = s.summary(answers)
        self.say()
        self.say(fit(f"Sammanfattning: {s.case_label(case)}", WIDTH))
        width = min(max((len(r.question_id) for r in rows), default=2), 12)
        for r in rows:
            label = "" if r.motivation else r.question_id
            answer = "(saknas)" if r.missing else (r.answer or "–")
            answer += " (beräknad)" if r.computed else ""
            text_width = 30 if not r.motivation else 12
            text = fit(r.text, text_width)
            room = WIDTH - width - text_width - 4
            self.say(f"{label:<{width}}  {text:<{text_width}}  {fit(answer, room)}".rstrip())

    def review(self, case: Case) -> int:
        """Show the summary until the reviewer marks the case done (1) or leaves it (0)."""
        s = self.session
        while True:
            answers = s.answers(case.case_id)
            self.print_summary(case, answers)
            missing = s.checklist.missing(answers)
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
                key = self.pick_question(answers)
                if key is None:
                    continue
                qid = key.split("__", 1)[0]
                self.ask(case.case_id, Step(s.checklist.question(qid), key != qid))
            self.fill_missing(case.case_id)

    def pick_question(self, answers: dict[str, Any]) -> str | None:
        rows = self.session.summary(answers)
        choices: list[Any] = []
        for r in rows:
            if r.computed:  # computed from other answers: change those instead
                continue
            label = f"  {r.text}" if r.motivation else r.question_id
            answer = "(saknas)" if r.missing else (r.answer or "–")
            choices.append(Choice(fit(f"{label:<12} {answer}", WIDTH - 6), value=r.key))
        choices += [Separator(), Choice("Tillbaka", value=BACK)]
        picked = self.select("Vilket svar vill du ändra?", choices)
        return None if picked == BACK else picked

    def fill_missing(self, case_id: str) -> None:
        """Ask every required answer or motivation still missing (after an edit)."""
        s = self.session
        step = s.next_missing(s.answers(case_id))
        while step is not None:
            self.ask(case_id, step)
            step = s.next_missing(s.answers(case_id))
