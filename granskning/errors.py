"""Error hierarchy: every error knows its exit code and speaks Swedish to the user."""

from __future__ import annotations

from pathlib import Path

from granskning.secrecy import scrub


class GranskningError(Exception):
    """Base class for errors shown to the user as a message, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        message = hide_personnummer(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(GranskningError):
    """Bad input or usage (exit code 2).

    ``file``, ``row`` (as Excel numbers it: the header is row 1) and ``column``
    are included in the message when known.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.detail = hide_personnummer(message)
        super().__init__(format_location(self.file, row, column) + message)


class ManyInputErrors(InputError):
    """Several input problems found in one pass, reported together."""

    def __init__(self, errors: list[InputError], *, limit: int = 20) -> None:
        self.errors = errors
        shown = [e.message for e in errors[:limit]]
        if len(errors) > limit:
            shown.append(f"… och {len(errors) - limit} fel till")
        GranskningError.__init__(self, "\n".join(shown))
        self.file = errors[0].file if errors else None
        self.row = None
        self.column = None
        self.detail = self.message


class StoreError(GranskningError):
    """A database problem the user can act on (exit code 2)."""

    exit_code = 2


def hide_personnummer(text: str) -> str:
    """Return ``text`` with every personnummer masked: no error message ever shows one.

    Messages quote cells, filters, titles and file names; whatever a caller put in,
    the last four digits of a personnummer (in any typed form) are hidden here.
    """
    text = str(text)
    if not any(ch.isdigit() for ch in text):
        return text
    return scrub(text)


def format_location(file: str | None, row: int | None, column: str | None) -> str:
    """Return a Swedish location prefix such as ``ram.csv, rad 7, kolumn "stadsdel": ``."""
    parts: list[str] = []
    if file:
        parts.append(Path(file).name if len(str(file)) > 60 else str(file))
    if row is not None:
        parts.append(f"rad {row}")
    if column is not None:
        parts.append(f'kolumn "{column}"')
    return (", ".join(parts) + ": ") if parts else ""
