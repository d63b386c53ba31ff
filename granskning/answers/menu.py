"""The choice menus of ``granskning kontroll``: Swedish, no wrapping, keys that choose.

questionary's own ``select`` and ``checkbox`` do most of what a reviewer needs,
but not all: Down on the last choice wraps to the first ("Ja"), the cursor
always starts on a choice, the search filter shows every choice when nothing
matches and matches only the shown title, and a finished checkbox says "done (2
selections)".  The menus here reuse questionary's rendering
(:class:`~questionary.prompts.common.InquirerControl` and its layout) with
their own keys:

* **No start on an answer.**  ``start=None`` points at nothing: Enter then asks
  the reviewer to choose, so a reflex Enter never records an answer (least of
  all one that means a deviation).  Editing an answer starts on the stored one.
* **No wrapping.**  Up on the first choice and Down on the last stay put.
* **Keys choose.**  ``keys`` maps a key to a value: pressing it answers at once
  (``j``/``n`` for Ja/Nej).  In a checkbox a key ticks or unticks its choice.
* **Filter by typing** (``match``): every printable key edits the filter shown
  under the list, Backspace removes a character; "Avsluta" and the like
  (``always``) stay listed.  ``match(text, value)`` decides, so a case can be
  found by what is not in its title (its real id through the key).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from typing import Any

from prompt_toolkit.application import Application
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from questionary import Question, Separator
from questionary.constants import DEFAULT_QUESTION_PREFIX, DEFAULT_STYLE
from questionary.prompts.common import InquirerControl, create_inquirer_layout

from granskning.personnummer.number import scrub

__all__ = ["CHOOSE_MESSAGE", "Menu", "checkbox", "select", "ticked_text"]

CHOOSE_MESSAGE = "Välj ett svar: tangenten framför svaret, eller piltangenterna och Enter."


def ticked_text(n: int) -> str:
    """Return what a finished checkbox shows: ``klar (2 valda)``."""
    if n == 0:
        return "klar (inget valt)"
    return f"klar ({n} {'vald' if n == 1 else 'valda'})"


class Menu(InquirerControl):
    """A list of choices whose pointer may point at nothing (``pointed_at == -1``)."""

    def __init__(self, choices: list[Any], *, start: Any = None,
                 match: Callable[[str, Any], bool] | None = None,
                 always: Iterable[Any] = (), checked: Iterable[Any] = (),
                 indicator: bool = False) -> None:
        self.match = match
        self.always = set(always)
        super().__init__(choices, pointer="»", use_indicator=indicator, show_description=False)
        self.selected_options = list(checked)
        values = [c.value if self._selectable(c) else None for c in self.choices]
        self.pointed_at = values.index(start) if start is not None and start in values else -1

    @staticmethod
    def _selectable(choice: Any) -> bool:
        return not isinstance(choice, Separator) and not choice.disabled

    # -- the filter ------------------------------------------------------------

    @property
    def filtered_choices(self) -> list[Any]:
        text = (self.search_filter or "").strip()
        if not text or self.match is None:
            return self.choices
        return [c for c in self.choices if self._selectable(c)
                and (c.value in self.always or self.match(text, c.value))]

    def add_search_character(self, char: Any) -> None:
        if char == Keys.Backspace:
            self.remove_search_character()
        else:
            self.search_filter = (self.search_filter or "") + str(char)
        self.pointed_at = -1
        shown = self.filtered_choices
        for i, c in enumerate(shown):  # the first match; never "Avsluta" by itself
            if self._selectable(c) and c.value not in self.always:
                self.pointed_at = i
                break

    def get_search_string_tokens(self) -> Any:
        if self.search_filter is None:
            return None
        hits = sum(1 for c in self.filtered_choices if c.value not in self.always)
        found = f"{hits} {'träff' if hits == 1 else 'träffar'}"
        return [("", "\n"), ("class:question-mark", "Sök: "),
                ("class:search_success" if hits else "class:search_none",
                 scrub(self.search_filter)),
                ("class:question-mark", f"  ({found}; Backsteg suddar)")]

    # -- moving ----------------------------------------------------------------

    def move(self, step: int) -> None:
        """Move the pointer to the next selectable choice in ``step``'s direction; never wrap."""
        shown = self.filtered_choices
        i = self.pointed_at
        if i < 0 and step < 0:
            return
        i += step
        while 0 <= i < len(shown):
            if self._selectable(shown[i]):
                self.pointed_at = i
                return
            i += step

    def pointed(self) -> Any:
        """Return the choice pointed at, or None."""
        shown = self.filtered_choices
        if 0 <= self.pointed_at < len(shown) and self._selectable(shown[self.pointed_at]):
            return shown[self.pointed_at]
        return None

    warning: str | None = None  # shown under the choices until the next key

    def _get_choice_tokens(self) -> Any:
        if not self.filtered_choices:
            tokens = [("class:text", "   (inga träffar)")]
        else:
            tokens = super()._get_choice_tokens()
        if self.warning:  # (questionary's own message line needs the terminal's height)
            tokens += [("", "\n"), ("class:validation-toolbar", f" {self.warning}")]
        return tokens


def _bindings(menu: Menu, on_key: Callable[[Any, Any], None],
              keys: dict[str, Any], filtering: bool) -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add(Keys.ControlC, eager=True)
    @bindings.add(Keys.ControlD, eager=True)
    @bindings.add(Keys.ControlQ, eager=True)
    def _cancel(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    @bindings.add(Keys.Down, eager=True)
    @bindings.add(Keys.ControlN, eager=True)
    def _down(event: Any) -> None:
        menu.warning = None
        menu.move(1)

    @bindings.add(Keys.Up, eager=True)
    @bindings.add(Keys.ControlP, eager=True)
    def _up(event: Any) -> None:
        menu.warning = None
        menu.move(-1)

    def bind(key: str, value: Any) -> None:
        @bindings.add(key, eager=True)
        def _chosen(event: Any) -> None:
            menu.warning = None
            on_key(event, value)

    if filtering:
        def _filter(event: Any) -> None:
            menu.warning = None
            menu.add_search_character(event.key_sequence[0].key)

        for character in string.printable.strip() + " ÅÄÖåäöÉéÜü":
            bindings.add(character, eager=True)(_filter)
        bindings.add(Keys.Backspace, eager=True)(_filter)
    for key, value in keys.items():
        bind(key, value)

    @bindings.add(Keys.Any)
    def _other(event: Any) -> None:
        """Typed text goes nowhere."""

    return bindings


def select(message: str, choices: list[Any], *, instruction: str, start: Any = None,
           keys: dict[str, Any] | None = None, match: Callable[[str, Any], bool] | None = None,
           always: Iterable[Any] = (), left: Any = None, titles: dict[Any, str] | None = None,
           **io: Any) -> Question:
    """Return a question that answers the value of the choice picked.

    ``keys`` answer at once; ``left`` is the value the Left arrow answers
    (e.g. "back"); ``match`` turns typing into a filter (then ``keys`` are
    not bound, as every letter is part of the filter); ``titles`` is what the
    answered prompt shows for a value (default: the choice's title).
    """
    menu = Menu(choices, start=start, match=match, always=always)
    titles = {**{c.value: _plain(c) for c in menu.choices if Menu._selectable(c)},
              **(titles or {})}
    answered: list[Any] = []

    def tokens() -> list[tuple[str, str]]:
        out = [("class:qmark", DEFAULT_QUESTION_PREFIX), ("class:question", f" {message} ")]
        if answered:
            out.append(("class:answer", titles.get(answered[0], "")))
        else:
            out.append(("class:instruction", instruction))
        return out

    def finish(event: Any, value: Any) -> None:
        answered.append(value)
        menu.is_answered = True
        event.app.exit(result=value)

    bindings = _bindings(menu, finish, {} if match is not None else dict(keys or {}),
                         match is not None)
    if left is not None:
        bindings.add(Keys.Left, eager=True)(lambda event: finish(event, left))

    @bindings.add(Keys.ControlM, eager=True)
    def _enter(event: Any) -> None:
        choice = menu.pointed()
        if choice is None:
            menu.warning = ("Inget ärende matchar; sudda med Backsteg." if match is not None
                                  else CHOOSE_MESSAGE)
            return
        finish(event, choice.value)

    return _question(menu, tokens, bindings, io)


def checkbox(message: str, choices: list[Any], *, instruction: str, checked: Iterable[Any] = (),
             keys: dict[str, Any] | None = None, actions: dict[str, Any] | None = None,
             validate: Callable[[list[Any]], bool | str] = lambda values: True,
             **io: Any) -> Question:
    """Return a question that answers ``(action, ticked values)``; action None = Enter.

    ``keys`` tick or untick their choice; ``actions`` (e.g. ``?`` for help,
    ``<`` for back) end the prompt with the ticks kept, so nothing ticked is lost.
    """
    menu = Menu(choices, checked=checked, indicator=True)
    menu.move(1)  # pointing at a box records nothing: start on the first
    done: list[int] = []
    order = [c.value for c in menu.choices if Menu._selectable(c)]

    def ticked() -> list[Any]:
        return [v for v in order if v in menu.selected_options]

    def tokens() -> list[tuple[str, str]]:
        out = [("class:qmark", DEFAULT_QUESTION_PREFIX), ("class:question", f" {message} ")]
        if done:
            out.append(("class:answer", ticked_text(done[0])))
        else:
            out.append(("class:instruction", instruction))
        return out

    def toggle(event: Any, value: Any) -> None:
        if value in menu.selected_options:
            menu.selected_options.remove(value)
        else:
            menu.selected_options.append(value)

    bindings = _bindings(menu, toggle, dict(keys or {}), False)

    @bindings.add(" ", eager=True)
    def _space(event: Any) -> None:
        menu.warning = None
        choice = menu.pointed()
        if choice is not None:
            toggle(event, choice.value)

    def end(action: Any) -> Callable[[Any], None]:
        def _end(event: Any) -> None:
            menu.is_answered = True
            event.app.exit(result=(action, ticked()))
        return _end

    for key, action in (actions or {}).items():
        bindings.add(key, eager=True)(end(action))
        if action == "\x00tillbaka":
            bindings.add(Keys.Left, eager=True)(end(action))

    @bindings.add(Keys.ControlM, eager=True)
    def _enter(event: Any) -> None:
        verdict = validate(ticked())
        if verdict is not True:
            menu.warning = str(verdict)
            return
        done.append(len(ticked()))
        end(None)(event)

    return _question(menu, tokens, bindings, io)


def _plain(choice: Any) -> str:
    title = choice.title
    return "".join(t[1] for t in title) if isinstance(title, list) else str(title)


def _question(menu: Menu, tokens: Callable[[], Any], bindings: KeyBindings,
              io: dict[str, Any]) -> Question:
    layout = create_inquirer_layout(menu, tokens, **io)
    return Question(Application(layout=layout, key_bindings=bindings, style=DEFAULT_STYLE,
                                **io))
