"""Answers in an Excel template: export a pre-filled sheet, import it back, all or nothing.

The template (sheet ``Svar``) has one row per case: ``Ärende``, ``Stratum``,
``Kön``, ``Ålder``, then one column per question id and, right after a
question that can require one, its ``<id>__motivering`` column.  Choice
questions get drop-down lists (from the hidden sheet ``Listor``), numbers a
range check, and sheet ``Frågor`` holds the checklist in words.  Several
choices go in one cell separated by ``;``.

Import rules (documented for users in ``granskning svar importera --help``):

* A row with at least one answer is the case's complete set of answers: its
  answers are stored, and stored answers to the checklist's questions that the
  row leaves empty are deleted (the history keeps them).  A row without any
  answer leaves the case untouched.
* Every cell is checked against the checklist: type, choices, bounds, dates,
  conditions (an answer to a question that is not shown is an error), required
  questions and required motivations.  Unknown case ids and unknown columns
  are errors.  All problems are reported together, each as
  ``mall.xlsx, rad 7, kolumn "F7": …``, and then nothing is stored.
* Everything is written in one transaction, with one history row per change.
* **No silent overwrite.**  The template carries, in the hidden sheet
  ``Versioner``, the version of every stored answer at export time.  An
  import that would change an answer that someone else has changed since
  (stored version ≠ exported version) is refused, and every such cell is
  listed with the other person's value, who and when; nothing is stored.
  The user exports a new template, or imports again with ``overwrite``
  (``--skriv-over``) to let the file win deliberately.  A template without
  the sheet counts as exported before any answer existed.  The versions are
  also passed to the store as ``expected_versions``, so a change made while
  the import runs is caught as well.
* **A template belongs to one audit.**  The hidden sheet ``Granskning`` holds
  the audit's id and a SHA-256 of its identity (id, kind, creation time and
  creator, checklist and sample record), so a template is refused by any
  other audit, also one with the same number in another database.  A
  template without that sheet is refused too (export a new one).
* A formula or an error value in a cell is refused (naming the cell), never
  read as an empty cell: answers are text, numbers or dates.
* **Computed questions** (``berakna``) are not read from the file: their
  columns are locked in the template, and the import computes them again from
  the row's answers and the case data (blank when an input is missing) and
  stores them with the answers.  **Checks** (``giltig_om``) are applied to
  every row; a failed check is an error naming the sheet, row, column and
  question, with the checklist's ``felmeddelande``, and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.answers.computed import computed_changes
from granskning.answers.session import (
    case_values,
    check_free_text,
    checklist_for,
    split_key,
    storable,
)
from granskning.answers.template import (
    CASE,
    OWNER,
    OWNER_DIGEST,
    OWNER_ID,
    SHEET,
    VERSIONS,
    Exported,
    audit_identity,
    export_template,
    info_columns,
    template_columns,
)
from granskning.checklist.model import Checklist
from granskning.checklist.render import condition_words
from granskning.errors import InputError, ManyInputErrors
from granskning.personnummer import number as pnr
from granskning.store.records import same_name
from granskning.store.values import case_key, encode, show_case_id
from granskning.wording import antal
from granskning.workbook import check_unpacked_size

if TYPE_CHECKING:
    from granskning.store.database import Store

__all__ = [
    "Exported",
    "ImportConflict",
    "Imported",
    "audit_identity",
    "export_template",
    "import_answers",
    "template_columns",
]

# Excel holds at most 32 767 characters in a cell, and openpyxl silently cuts a longer
# cell to 32 767 when it reads one: a cell that long may have lost its end, so it is refused.
MAX_CELL = 32_766
MAX_ROWS = 100_000


class ImportConflict(ManyInputErrors):
    """Answers changed by someone else since the template was exported (nothing stored)."""


@dataclass(frozen=True, slots=True)
class Imported:
    """The outcome of an import: rows with answers, and answers set or deleted."""

    n_cases: int
    n_changed: int
    n_skipped_rows: int
    who: str = ""  # the name the changes are recorded under in the history
    # reviewer the changed cases belong to -> (cases changed, answers changed); "" = none
    owners: tuple[tuple[str, int, int], ...] = ()

    def owners_text(self) -> str:
        """Return whose cases the import changed, for the command's message."""
        if not self.owners:
            return ""
        parts = [f"{name or 'ingen granskare'} ({antal(n, 'ärende')}, {antal(k, 'svar', 'svar')})"
                 for name, n, k in self.owners]
        mine = all(same_name(name, self.who) for name, _n, _k in self.owners)
        note = "" if mine else f" Ändringarna står i historiken i ditt namn ({self.who})."
        return f"Ärendena tillhör: {', '.join(parts)}.{note}"


def _check_owner(path: Path, audit: Any) -> None:
    """Refuse a template exported from another audit (or without the sheet that says which)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if OWNER not in wb.sheetnames:
            raise InputError(
                f'mallen saknar bladet "{OWNER}" som visar vilken granskning den hör till; '
                f"exportera en ny mall med granskning svar exportera --granskning {audit.id}",
                file=path)
        found = {str(r[0]): r[1] for r in wb[OWNER].iter_rows(max_col=2, values_only=True)
                 if r and r[0] is not None and len(r) > 1}
    finally:
        wb.close()
    their_id, digest = found.get(OWNER_ID), found.get(OWNER_DIGEST)
    if isinstance(their_id, int) and not isinstance(their_id, bool) and their_id != audit.id:
        raise InputError(
            f"mallen är exporterad från granskning {their_id}, inte granskning {audit.id}; "
            "inget sparades. Läs in den i rätt granskning, eller exportera en mall för "
            f"granskning {audit.id}", file=path)
    if digest != audit_identity(audit):
        raise InputError(
            f"mallen hör inte till granskning {audit.id} i den här databasen (den är exporterad "
            "från en annan granskning, eller bladet "
            f'"{OWNER}" har ändrats); inget sparades. Exportera en ny mall med granskning svar '
            f"exportera --granskning {audit.id}", file=path)


def _read_versions(path: Path) -> dict[tuple[str, str], int] | None:
    """Return (case id, answer key) -> version from sheet Versioner; None if there is none."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if VERSIONS not in wb.sheetnames:
            return None
        out: dict[tuple[str, str], int] = {}
        for n, row in enumerate(wb[VERSIONS].iter_rows(min_row=2, values_only=True), start=2):
            if n > MAX_ROWS * 200:
                raise InputError(f'bladet "{VERSIONS}" har för många rader', file=path)
            case_id, key, version = (tuple(row) + (None, None, None))[:3]
            if case_id is None or key is None:
                continue
            if isinstance(version, bool) or not isinstance(version, int) or version < 0:
                raise InputError(f'bladet "{VERSIONS}" är skadat (versionen är inget heltal); '
                                 "exportera en ny mall", file=path, row=n, column="Version")
            out[(case_key(case_id), str(key))] = version
        return out
    finally:
        wb.close()


def import_answers(
    store: Store,
    audit_id: int,
    path: str | Path,
    *,
    who: str,
    checklist: Checklist | str | Path | None = None,
    overwrite: bool = False,
) -> Imported:
    """Validate every row of a filled template and store all of it in one transaction.

    Raises :class:`ManyInputErrors` (exit 2) listing every problem, and then
    stores nothing; :class:`ImportConflict` when answers the file would change
    were changed by someone else since the export (unless ``overwrite``).
    """

    path = Path(path)
    audit = store.audit(audit_id)
    chk = checklist_for(audit, checklist)
    header, rows = _read_sheet(path)
    _check_owner(path, audit)
    name = str(path)
    known = set(template_columns(chk))
    computed = {q.id for q in chk.questions if q.computed}  # read-only: computed again here
    errors: list[InputError] = []
    seen: set[str] = set()
    for title in header.values():
        if title is None:
            continue
        if title in seen:
            errors.append(InputError("kolumnen finns två gånger", file=name, row=1, column=title))
        seen.add(title)
        if title not in known and title not in info_columns(chk):
            errors.append(InputError(
                "okänd kolumn: varken en fråga i checklistan "
                f'"{chk.id}" eller en av {", ".join(info_columns(chk))}',
                file=name, row=1, column=title))
    if CASE not in seen:
        errors.append(InputError(f'kolumnen "{CASE}" med ärende-id saknas', file=name, row=1))
    if errors:
        raise _many(errors)

    cases = {c.case_id: c for c in store.cases(audit_id)}
    by_title = {title: col for col, title in header.items() if title is not None}
    desired: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    skipped = 0
    for excel_row, values in rows:
        raw_id = values.get(by_title[CASE])
        cells = {
            title: values.get(col) for title, col in by_title.items()
            if title in known and title not in computed and not _empty(values.get(col))
        }
        if _empty(raw_id):
            if cells:
                errors.append(InputError("ärende-id saknas", file=name, row=excel_row,
                                         column=CASE))
            continue
        try:
            case_id = case_key(raw_id)
        except InputError as exc:  # e.g. an id longer than any case id
            errors.append(InputError(exc.detail, file=name, row=excel_row, column=CASE))
            continue
        if case_id not in cases:
            errors.append(InputError(f"ärendet {show_case_id(case_id)} finns inte i "
                                     f"granskning {audit_id}", file=name, row=excel_row,
                                     column=CASE))
            continue
        if case_id in first_row:
            errors.append(InputError(f"ärendet finns redan på rad {first_row[case_id]}",
                                     file=name, row=excel_row, column=CASE))
            continue
        first_row[case_id] = excel_row
        if not cells:
            skipped += 1
            continue
        answers, row_errors = _check_row(chk, cells, name, excel_row,
                                         case_values(cases[case_id]))
        errors += row_errors
        desired[case_id] = answers
    if errors:
        raise _many(errors)

    changes, expected = _plan_changes(store, audit_id, path, desired, known, first_row,
                                      overwrite=overwrite)
    changed = (store.set_answers(audit_id, changes, who=who, expected_versions=expected)
               if changes else 0)
    return Imported(len(desired), changed, skipped, who, _owners(cases, changes))


def _owners(cases: dict[str, Any], changes: list[tuple[str, str, Any]]
            ) -> tuple[tuple[str, int, int], ...]:
    """Return (reviewer, cases changed, answers changed) for each reviewer whose cases changed."""
    touched: dict[str, set[str]] = {}
    answers: dict[str, int] = {}
    for case_id, _key, _value in changes:
        name = cases[case_id].reviewer or ""
        touched.setdefault(name, set()).add(case_id)
        answers[name] = answers.get(name, 0) + 1
    return tuple((name, len(touched[name]), answers[name])
                 for name in sorted(touched, key=str.casefold))


def _plan_changes(
    store: Store, audit_id: int, path: Path, desired: dict[str, dict[str, Any]],
    known: set[str], first_row: dict[str, int], *, overwrite: bool,
) -> tuple[list[tuple[str, str, Any]], dict[tuple[str, str], int]]:
    """Return (changes, expected versions); ImportConflict for answers changed since export."""

    exported = {} if overwrite else (_read_versions(path) or {})
    stored = store.answer_versions(audit_id)
    changes: list[tuple[str, str, Any]] = []
    expected: dict[tuple[str, str], int] = {}
    conflicts: list[InputError] = []
    by_case: dict[str, dict[str, Any]] = {}
    for (case_id, key), found in stored.items():
        by_case.setdefault(case_id, {})[key] = found
    for case_id, answers in desired.items():
        mine = by_case.get(case_id, {})
        wanted = {**{k: None for k in mine if k in known}, **answers}
        for key, value in wanted.items():
            now = mine.get(key)
            now_value = now.value if now is not None else None
            if (value is None and now_value is None) or (
                value is not None and now_value is not None and encode(value) == encode(now_value)
            ):
                continue  # no change
            now_version = now.version if now is not None else 0
            if overwrite:
                expected[(case_id, key)] = now_version
            else:
                expected[(case_id, key)] = exported.get((case_id, key), 0)
                if now is not None and expected[(case_id, key)] != now_version:
                    when = now.changed_at.astimezone().strftime("%Y-%m-%d %H:%M")
                    theirs = "(borttaget)" if now_value is None else _fmt(now_value)
                    yours = "(tomt)" if value is None else _fmt(value)
                    conflicts.append(InputError(
                        f"svaret har ändrats av {now.changed_by} {when} sedan mallen "
                        f"exporterades: nu ”{theirs}”, i filen ”{yours}”",
                        file=str(path), row=first_row[case_id], column=key))
            changes.append((case_id, key, value))
    if conflicts:
        hint = InputError(
            "Inget sparades. Exportera en ny mall (granskning svar exportera) och för in "
            "dina ändringar där, eller läs in filen igen med --skriv-over om filens svar "
            "ska ersätta de andras.")
        raise ImportConflict([*conflicts, hint], limit=50)
    return changes, expected


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)

    return pnr.scrub(str(value))


def _read_sheet(path: Path) -> tuple[dict[int, str | None], list[tuple[int, dict[int, Any]]]]:
    """Return (column number -> header, [(Excel row, column number -> value)]) of sheet Svar."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    if not path.exists():
        raise InputError("filen finns inte", file=path)
    check_unpacked_size(path)
    try:
        # data_only=False: a formula is seen as a formula (with data_only its value would be
        # read, and a formula that was never calculated would read as an empty cell).
        wb = load_workbook(path, read_only=True, data_only=False)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise InputError("filen går inte att läsa som en Excel-arbetsbok (.xlsx)",
                         file=path) from None
    try:
        if SHEET not in wb.sheetnames:
            raise InputError(f'bladet "{SHEET}" saknas; är det en mall från '
                             "granskning svar exportera?", file=path)
        from openpyxl.utils import get_column_letter

        it = wb[SHEET].iter_rows()
        first = next(it, None) or ()
        header = {i: (None if c.value is None else str(c.value).strip() or None)
                  for i, c in enumerate(first)}
        rows = []
        formulas: list[InputError] = []
        for n, cells in enumerate(it, start=2):
            if n > MAX_ROWS:
                raise InputError(f"för många rader (högst {MAX_ROWS})", file=path)
            values = tuple(c.value for c in cells)
            for i, c in enumerate(cells):
                kind = getattr(c, "data_type", None)
                if kind in ("f", "e"):
                    what = "en formel" if kind == "f" else "ett felvärde"
                    formulas.append(InputError(
                        f"cellen innehåller {what}, inte ett svar; skriv svaret som text "
                        "(börjar svaret med =, skriv ' före)", file=path, row=n,
                        column=header.get(i) or get_column_letter(i + 1)))
            if any(not _empty(v) for v in values):
                rows.append((n, dict(enumerate(values))))
                for i, v in enumerate(values):
                    if i not in header and not _empty(v):
                        raise InputError("värde i en kolumn utan rubrik", file=path, row=n,
                                         column=get_column_letter(i + 1))
        if formulas:
            raise _many(formulas)
        return header, rows
    finally:
        wb.close()


def _check_row(chk: Checklist, cells: dict[str, Any], file: str, row: int,
               case: Any = None) -> tuple[dict[str, Any], list[InputError]]:
    """Return (normalised answers with the computed ones, problems) for one case row."""

    errors: list[InputError] = []
    answers: dict[str, Any] = {}
    for key, raw in cells.items():
        qid, is_motivation = split_key(key)
        q = chk.question(qid)
        if isinstance(raw, str) and len(raw) > MAX_CELL:
            errors.append(InputError(f"texten är för lång ({len(raw)} tecken eller fler; högst "
                                     f"{MAX_CELL})", file=file, row=row, column=key))
            continue
        try:
            if is_motivation or q.answer_type.free_text:
                value = str(raw).strip()
                check_free_text(value, file=file, row=row, column=key)
            else:
                value = storable(q.coerce(raw, file=file, row=row, column=key))
                check_free_text(value, file=file, row=row, column=key)  # e.g. a number
        except InputError as exc:
            errors.append(exc)
            continue
        if value is not None:
            answers[key] = value
    if errors:  # conditions on invalid answers would only repeat the same problem
        return answers, errors
    shown = {q.id for q in chk.visible_questions(answers, case)}
    for key in list(answers):
        qid, is_motivation = split_key(key)
        q = chk.question(qid)
        if qid not in shown:
            when = condition_words(q.condition) if q.condition is not None else ""
            errors.append(InputError(f"frågan visas bara när {when}; lämna cellen tom",
                                     file=file, row=row, column=key))
        elif is_motivation and not q.needs_motivation(answers.get(qid)):
            errors.append(InputError(
                f"motivering behövs bara vid {', '.join(q.motivation_required)}; "
                "lämna cellen tom", file=file, row=row, column=key))
    if errors:
        return answers, errors
    for key in chk.missing(answers, case):
        qid, is_motivation = split_key(key)
        if is_motivation:
            text = f"motivering krävs för svaret ”{_show(answers.get(qid))}” på {qid}"
        else:
            text = "svar saknas (frågan krävs när ärendet besvaras)"
        errors.append(InputError(text, file=file, row=row, column=key))
    for q, message in chk.violations(answers, case):
        errors.append(InputError(f'bladet "{SHEET}", fråga {message}', file=file, row=row,
                                 column=q.id))
    computed_changes(chk, answers, case)
    return answers, errors


def _show(value: Any) -> str:
    return "; ".join(value) if isinstance(value, list) else str(value)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _many(errors: list[InputError]) -> InputError:
    return errors[0] if len(errors) == 1 else ManyInputErrors(errors, limit=50)
