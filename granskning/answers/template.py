"""The Excel answer template: its layout, and writing it for an audit's cases.

Reading a filled template back is :mod:`granskning.answers.excel`, whose
docstring holds the rules both halves keep; this module writes what that one
reads: sheet ``Svar`` (one row per case, one column per answer key, drop-down
lists from the hidden sheet ``Listor``), ``Frågor`` (the checklist in words),
and the hidden sheets ``Versioner`` and ``Granskning``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.answers.session import checklist_for, split_key
from granskning.checklist.model import Checklist, Question, motivation_key
from granskning.checklist.render import TYPE_WORDS, condition_words
from granskning.errors import InputError
from granskning.files import atomic_write
from granskning.workbook import append, save_workbook

if TYPE_CHECKING:
    from granskning.store.database import Case, Store

__all__ = ["Exported", "audit_identity", "case_columns", "export_template", "info_columns",
           "template_columns"]

SHEET, QUESTIONS, LISTS, VERSIONS = "Svar", "Frågor", "Listor", "Versioner"
OWNER = "Granskning"  # hidden sheet: which audit the template belongs to
OWNER_ID, OWNER_DIGEST = "Granskning", "Granskningens identitet (SHA-256)"
CASE, STRATUM, SEX, AGE = "Ärende", "Stratum", "Kön", "Ålder"
INFO_COLUMNS = (CASE, STRATUM, SEX, AGE)
CASE_DATA_NOTE = "Ärendedata från ramen ({kind}); visas bara, fyll inte i."


def case_columns(chk: Checklist) -> tuple[str, ...]:
    """Return the checklist's case data shown in the template (alder and kon are Ålder and Kön)."""
    return tuple(n for n in chk.case_fields if n not in ("alder", "kon"))


def info_columns(chk: Checklist) -> tuple[str, ...]:
    """Return the read-only columns before the answers: the case and its case data."""
    return (*INFO_COLUMNS, *case_columns(chk))


@dataclass(frozen=True, slots=True)
class Exported:
    """A written template: where, how many case rows and answer columns, answers pre-filled."""

    path: str
    n_cases: int
    n_columns: int
    n_prefilled: int


def template_columns(checklist: Checklist) -> list[str]:
    """Return the answer columns: question ids, each followed by its motivation column if any."""
    out: list[str] = []
    for q in checklist.questions:
        out.append(q.id)
        if q.motivation_required:
            out.append(motivation_key(q.id))
    return out


def export_template(
    store: Store,
    audit_id: int,
    path: str | Path,
    *,
    checklist: Checklist | str | Path | None = None,
    reviewer: str | None = None,
) -> Exported:
    """Write the answer template of an audit to ``path`` (.xlsx) and describe it.

    Rows: the non-reserve cases and any reserve case that is assigned or
    answered, not those outside the population (only ``reviewer``'s cases when given), in case order, with the
    answers already stored.
    """
    from openpyxl import Workbook

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError("mallen ska sparas som .xlsx", file=path)
    audit = store.audit(audit_id)
    chk = checklist_for(audit, checklist)
    answered = _answers_by_case(store, audit_id)
    cases = [
        c for c in store.cases(audit_id)
        if (not c.reserve or c.reviewer is not None or c.case_id in answered)
        and not c.outside
        and (reviewer is None or c.reviewer == reviewer)
    ]
    columns = template_columns(chk)
    wb = Workbook()
    wb.properties.title = f"Svar: {audit.title}"
    wb.properties.keywords = "Sekretess enligt OSL 26 kap."
    ws = wb.active
    ws.title = SHEET
    prefilled = _write_answers_sheet(ws, chk, columns, cases, answered)
    _write_lists(wb, ws, chk, columns, len(cases))
    _write_questions_sheet(wb.create_sheet(QUESTIONS), chk)
    _write_versions(wb, store, audit_id, {c.case_id for c in cases})
    owner = wb.create_sheet(OWNER)
    owner.sheet_state = "hidden"
    owner.append([OWNER_ID, audit_id])
    owner.append([OWNER_DIGEST, audit_identity(audit)])
    atomic_write(path, lambda tmp: save_workbook(wb, tmp))
    return Exported(str(path), len(cases), len(columns), prefilled)


def audit_identity(audit: Any) -> str:
    """Return the SHA-256 that ties a template to one audit in one database."""
    import hashlib
    import json

    created = audit.created_at
    when = repr(created.timestamp()) if getattr(created, "tzinfo", None) else str(created)
    doc = {
        "id": audit.id, "slag": audit.kind, "skapad": when, "skapad_av": audit.created_by,
        "checklista": [audit.checklist_id, audit.checklist_version, audit.checklist_sha256],
        "urvalsprotokoll": audit.sample_record,
    }
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _answers_by_case(store: Store, audit_id: int) -> dict[str, dict[str, Any]]:
    frame = store.answers_frame(audit_id)
    out: dict[str, dict[str, Any]] = {}
    for rec in frame.to_dict(orient="records"):
        values = {k: v for k, v in rec.items() if k != "case_id" and v is not None}
        if values:
            out[str(rec["case_id"])] = values
    return out


def _cell_value(q: Question | None, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value if q is None else q.answer_type.excel_cell(value)


def _write_answers_sheet(ws: Any, chk: Checklist, columns: list[str], cases: list[Case],
                         answered: dict[str, dict[str, Any]]) -> int:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    info = info_columns(chk)
    data_columns = case_columns(chk)
    ws.append([*info, *columns])
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    for i, name in enumerate(data_columns, start=len(INFO_COLUMNS) + 1):
        note = CASE_DATA_NOTE.format(kind=chk.case_fields[name])
        ws.cell(1, i).comment = Comment(note, "granskning", width=300, height=60)
    for i, key in enumerate(columns, start=len(info) + 1):
        qid, is_motivation = split_key(key)
        q = chk.question(qid)
        note = f"Motivering till {qid}: krävs vid {', '.join(q.motivation_required)}" \
            if is_motivation else f"{q.id}: {q.text}"
        if q.computed and not is_motivation:
            note += f"\nBeräknas av granskning ({q.calculation_text}); fyll inte i."
        ws.cell(1, i).comment = Comment(note, "granskning", width=300, height=90)
    prefilled = 0
    for case in cases:
        answers = answered.get(case.case_id, {})
        row: list[Any] = [case.case_id, case.stratum, case.sex, case.age]
        row += [_case_cell(chk.case_fields[n], case.case_data.get(n)) for n in data_columns]
        for key in columns:
            qid, is_motivation = split_key(key)
            q = None if is_motivation else chk.question(qid)
            value = _cell_value(q, answers.get(key))
            prefilled += value is not None
            row.append(value)
        append(ws, row, headers=[*info, *columns], advice=(
            "Svaret kan inte föras över till Excel; ändra eller korta det i terminalen "
            "(granskning kontroll) och exportera igen."))
    for i, name in enumerate(data_columns, start=len(INFO_COLUMNS) + 1):
        letter = get_column_letter(i)
        if chk.case_fields[name] == "datum":
            for cell in ws[letter][1:]:
                cell.number_format = "yyyy-mm-dd"
        ws.column_dimensions[letter].width = min(max(len(name) + 2, 12), 30)
    for i, key in enumerate(columns, start=len(info) + 1):
        qid, is_motivation = split_key(key)
        q = chk.question(qid)
        letter = get_column_letter(i)
        number_format = q.answer_type.excel_number_format
        if number_format and not is_motivation:
            for cell in ws[letter][1:]:
                cell.number_format = number_format
        wide = is_motivation or q.answer_type.excel_wide
        longest = max([len(c) for c in q.choices] + [len(key)]) if q.has_choices else len(key)
        ws.column_dimensions[letter].width = 40 if wide else min(max(longest + 2, 8), 30)
    for letter, width in zip("ABCD", (18, 16, 8, 7), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(2, 2)
    ws.oddHeader.center.text = "Sekretess enligt OSL 26 kap."
    _lock_computed(ws, chk, columns, len(cases))
    return prefilled


def _lock_computed(ws: Any, chk: Checklist, columns: list[str], n_rows: int) -> None:
    """Grey and lock the columns of computed questions and case data (the import ignores them).

    The sheet is protected without a password only when there is such a column;
    every other cell of the sheet (and 500 rows more) stays open for answers, and
    columns can still be widened, sorted and filtered.
    """
    from openpyxl.styles import PatternFill, Protection
    from openpyxl.utils import get_column_letter

    info = info_columns(chk)
    locked = {i for i, key in enumerate(columns, start=len(info) + 1)
              if key == split_key(key)[0] and chk.question(key).computed}
    locked |= set(range(len(INFO_COLUMNS) + 1, len(info) + 1))  # the case data
    if not locked:
        return
    grey = PatternFill("solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
    open_cell = Protection(locked=False)
    last_column = len(info) + len(columns)
    for i in range(1, last_column + 1):
        letter = get_column_letter(i)
        for r in range(2, n_rows + 502):
            cell = ws.cell(r, i)
            if i in locked:
                cell.fill = grey
            else:
                cell.protection = open_cell
        if i not in locked:
            ws.column_dimensions[letter].protection = open_cell
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = protection.formatRows = protection.sort = False
    protection.autoFilter = protection.insertRows = False


def _write_lists(wb: Any, ws: Any, chk: Checklist, columns: list[str], n_rows: int) -> None:
    """Add drop-down lists (choice questions) and number ranges to the answer sheet."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = wb.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    last = max(n_rows + 1, 2) + 500  # room for rows the user adds
    list_col = 0
    for i, key in enumerate(columns, start=len(info_columns(chk)) + 1):
        qid, is_motivation = split_key(key)
        if is_motivation:
            continue
        q = chk.question(qid)
        target = f"{get_column_letter(i)}2:{get_column_letter(i)}{last}"
        kind = q.answer_type
        choices_range = None
        if kind.has_dropdown:
            list_col += 1
            lc = get_column_letter(list_col)
            lists.cell(1, list_col, q.id)
            for j, choice in enumerate(q.choices, start=2):
                lists.cell(j, list_col, choice)
            choices_range = f"{LISTS}!${lc}$2:${lc}${len(q.choices) + 1}"
        validation = kind.excel_validation(q, choices_range)
        if validation is None:
            continue
        dv = DataValidation(**validation)
        dv.add(target)
        ws.add_data_validation(dv)


def _write_versions(wb: Any, store: Store, audit_id: int, case_ids: set[str]) -> None:
    """Add the hidden sheet of answer versions the import checks against."""
    ws = wb.create_sheet(VERSIONS)
    ws.sheet_state = "hidden"
    ws.append([CASE, "Svar", "Version"])
    for (case_id, key), found in sorted(store.answer_versions(audit_id).items()):
        if case_id in case_ids:
            ws.append([case_id, key, found.version])


def _write_questions_sheet(ws: Any, chk: Checklist) -> None:
    from openpyxl.styles import Alignment, Font

    header = ["Id", "Område", "Fråga", "Typ", "Svarsalternativ", "Visas när", "Hinder",
              "Ej tillämpligt", "Krävs", "Motivering krävs vid", "Min", "Max", "Hjälp", "Lagrum",
              "Beräknas", "Kontroll"]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    areas = {a.id: a.title for a in chk.areas}
    for q in chk.questions:
        ws.append([
            q.id, areas.get(q.area_id, q.area_id), q.text, TYPE_WORDS[q.type],
            "; ".join(q.choices), condition_words(q.condition) if q.condition else "",
            "; ".join(q.hindrances), "; ".join(q.not_applicable), "ja" if q.required else "nej",
            "; ".join(q.motivation_required), q.minimum, q.maximum,
            " ".join((q.help or "").split()), q.legal_ref or "",
            q.calculation_text or "", _check_text(q),
        ])
    for letter, width in zip("ABCDEFGHIJKLMNOP",
                             (10, 22, 50, 12, 40, 28, 24, 14, 6, 24, 6, 6, 40, 18, 28, 40),
                             strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"


def _check_text(q: Question) -> str:
    """The ``giltig_om`` check of a question with its message, for sheet Frågor."""
    if q.validity_text is None:
        return ""
    return q.validity_text + (f" – {q.validity_message}" if q.validity_message else "")


def _case_cell(kind: str, value: Any) -> Any:
    """Return a stored case value as its template cell: a date as a date, else as stored."""
    import datetime as dt

    if kind == "datum" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


