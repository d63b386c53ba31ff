"""Reading a drawn sample back, and the canonical content both writer and reader share.

``urval --verifiera``, ``ny --urval`` and ``lista`` read a sample file through
:func:`read_stored`: .xlsx (sheets Urval, Reserver, Urvalsprotokoll), .json, or
.csv with its ``.protokoll.json``.  Every cell is compared in one canonical text
form (:func:`canonical_text`); the SHA-256 of that content (``innehall_sha256``,
:func:`content_digest`) is recomputed from the file, the visible rows of the sheet
Urvalsprotokoll (:func:`visible_rows`) are compared with the record, and every
case's stratum, weight and inclusion probability with the record's allocation.
Writing is in :mod:`granskning.sampling.samplebook`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.wording import antal
from granskning.workbook import check_unpacked_size

if TYPE_CHECKING:
    import pandas as pd

SECRECY = "Sekretess enligt OSL 26 kap."
CONTENT_KEY = "innehall_sha256"
RECORD_JSON_LABEL = "Protokoll (JSON)"
RECORD_JSON_MORE = "Protokoll (JSON, forts.)"
SAMPLE_FORMAT = 2  # record format from which samples carry CONTENT_KEY
CASE_ONLY = ("Inklusionssannolikhet", "Vikt")
# Derived from the record's N and n: checked against them with a relative tolerance
# (REL_TOL) instead of being hashed, because Excel keeps 15 significant digits and a
# workbook merely opened and saved in Excel then holds 0.205882352941176 for n/N.
DERIVED = CASE_ONLY
NUMERIC = (*CASE_ONLY, "Dragordning", "Reservordning")  # compared as numbers, not as text
REL_TOL = 1e-9
RESERVE_ONLY = ("Reservordning",)
TYPE_COLUMN = "Typ"


# -- canonical content and its digest ---------------------------------------------------


def canonical_text(value: Any) -> str:
    """Return the text form of a cell value that every format reads back alike."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ""
        # openpyxl stores a float as "%.16g" (not always the shortest exact form): compare the
        # value that an .xlsx gives back.  float("%.16g" % y) == y for such a y, so reading an
        # .xlsx and writing it again gives the same text.
        value = float(f"{value:.16g}")
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "\r" in text:  # XML turns CR LF and CR into LF: compare what every format can keep
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def same_number(text: Any, value: float) -> bool:
    """Return whether ``text`` (a cell as text) is ``value`` up to REL_TOL (Excel's 15 digits)."""
    try:
        found = float(str(text).replace(",", "."))
    except (TypeError, ValueError):
        return False
    return math.isclose(found, value, rel_tol=REL_TOL)


def same_cell(a: str, b: str) -> bool:
    """Return whether two cells (canonical text) are the same, numbers up to REL_TOL."""
    if a == b:
        return True
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if fa.is_integer() and fb.is_integer():  # counts, draw order: exact ("1.0" is 1)
        return fa == fb
    return math.isclose(fa, fb, rel_tol=REL_TOL)


def table_rows(df: pd.DataFrame) -> list[dict[str, str]]:
    """Return the rows of ``df`` as {column: canonical text}."""
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (canonical_text(v) for v in row), strict=True))
            for row in df.itertuples(index=False)]


def content_digest(record: Mapping[str, Any], cases: Sequence[Mapping[str, str]],
                   reserves: Sequence[Mapping[str, str]], excluded: Sequence[str]) -> str:
    """Return the SHA-256 of everything a later step reads from a sample file."""
    def hashed(rows: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
        return [{k: ("" if k in DERIVED else v) for k, v in r.items()} for r in rows]

    doc = {
        "protokoll": {k: v for k, v in record.items() if k != CONTENT_KEY},
        "urval": hashed(cases),
        "reserver": hashed(reserves),
        "uteslutna": [canonical_text(v) for v in excluded],
    }
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_path_for(path: Path) -> Path:
    """Return where the record of a CSV sample is written: ``urval.csv`` -> ``urval.protokoll.json``."""
    return path.with_name(path.stem + ".protokoll.json")


def record_rows(rec: Mapping[str, Any]) -> list[tuple[str, Any]]:
    design = rec["design"]
    ram = rec["ram"]
    rows: list[tuple[str, Any]] = [
        ("Urvalsprotokoll", SECRECY),
        ("Verktyg", f"granskning {rec['version']}"),
        ("Tidpunkt", rec["tidpunkt"]),
        ("Ramfil", ram["fil"]),
        ("Ramfilens SHA-256", ram["sha256"]),
        ("Ramfilens format", ram["format"]),
        ("Rader lästa", rec["rader_lasta"]),
        ("Rader efter filter", rec["rader_efter_filter"]),
        ("Filter", design["filter"] or "(inget)"),
        ("Uteslutna från tidigare urval", rec["uteslutna"]["antal"]),
    ]
    if rec["uteslutna"].get("fil"):
        rows.append(("Fil med tidigare urval", rec["uteslutna"]["fil"]))
        rows.append(("Dess SHA-256", rec["uteslutna"]["sha256"]))
    rows += [
        ("Id-kolumn", design["id_kolumn"]),
        ("Strata-kolumn", design["strata_kolumn"] or "(inga strata)"),
        ("Seed", str(design["seed"])),
        ("Fördelning", design["fordelning"]),
        ("Per stratum", design["per_stratum"] if design["per_stratum"] is not None else "–"),
        ("Totalt", design["totalt"] if design["totalt"] is not None else "–"),
        ("Minsta antal per stratum", design["minimum"]),
        ("Reserver per stratum", design["reserver"]),
        ("Populationens storlek (N)", rec["N_totalt"]),
        ("Urvalets storlek (n)", rec["n_totalt"]),
        ("Algoritm", f"{rec['algoritm']}: {rec['algoritm_beskrivning']}"),
        ("Kommando", rec["kommando"]),
        (
            "Verifiera",
            f"granskning urval --verifiera <denna fil> {ram['fil']}",
        ),
    ]
    return rows


def visible_rows(record: Mapping[str, Any]) -> list[list[Any]]:
    """Return the rows of sheet Urvalsprotokoll above the record (JSON): label, value(s)."""
    rows: list[list[Any]] = [list(r) for r in record_rows(record)]
    rows.append([])
    rows.append(["Stratum", "N", "n", "Reserver", "Tas helt", "Inklusionssannolikhet"])
    for s in record["strata"]:
        rows.append([s["stratum"], s["N"], s["n"], s["reserver"], "ja" if s["tas_helt"] else "nej",
                     s["n"] / s["N"] if s["N"] else None])
    rows.append(["Totalt", record["N_totalt"], record["n_totalt"]])
    return rows



# -- reading --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """A sample file read back: record, lists as text (index = row as Excel numbers it),
    excluded ids, and every integrity problem found (empty when the file is as written)."""

    record: dict[str, Any]
    cases: pd.DataFrame
    reserves: pd.DataFrame
    excluded: list[str]
    problems: list[str] = field(default_factory=list)
    sealed: bool = True


def read_stored(path: str | Path) -> Stored:
    """Return the sample in ``path`` (.xlsx, .json or .csv with its .protokoll.json)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("filen finns inte.", file=path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        record, cases, reserves, excluded, visible = _read_json(path)
    elif suffix == ".csv":
        record, cases, reserves, excluded, visible = _read_csv(path)
    else:
        record, cases, reserves, excluded, visible = _read_xlsx(path)
    check_record_shape(record, path)
    problems: list[str] = []
    sealed = CONTENT_KEY in record
    if sealed:
        if content_digest(record, cases, reserves, excluded) != record[CONTENT_KEY]:
            problems.append(
                "Filens innehåll stämmer inte med kontrollsumman i urvalsprotokollet "
                "(innehall_sha256): urvalet, reserverna, de uteslutna eller protokollet har "
                "ändrats efter att urvalet skrevs.")
    elif int(record.get("format", 1)) >= SAMPLE_FORMAT:
        problems.append("Urvalsprotokollet saknar kontrollsumman (innehall_sha256).")
    if visible is not None:
        problems += _visible_problems(record, visible)
    problems += _consistency_problems(record, cases, reserves)
    return Stored(record, _text_table(cases, _columns(record, reserve=False)),
                  _text_table(reserves, _columns(record, reserve=True)), list(excluded), problems,
                  sealed)


def _columns(record: Mapping[str, Any], *, reserve: bool) -> list[str]:
    """Return the columns a list has (in the order draw_sample makes them), for an empty list."""
    design = record["design"]
    cols = [design["id_kolumn"]]
    if design.get("strata_kolumn"):
        cols.append(design["strata_kolumn"])
    cols += ["Reservordning", "Dragordning"] if reserve else ["Dragordning", *CASE_ONLY]
    keep = design.get("kolumner") or []
    cols += [c for c in keep if isinstance(c, str) and c not in cols]
    return cols


def check_record_shape(record: Any, path: Path) -> None:
    """Raise InputError (naming what is missing) unless ``record`` has what later steps read."""
    def bad(what: str) -> InputError:
        return InputError(f"urvalsprotokollet är ofullständigt eller skadat: {what}. "
                          "Använd filen som granskning urval skrev.", file=path)

    if not isinstance(record, dict):
        raise bad("protokollet är inget JSON-objekt")
    for key in ("design", "strata", "ram", "N_totalt", "n_totalt", "rader_lasta",
                "rader_efter_filter", "uteslutna"):
        if key not in record:
            raise bad(f'nyckeln "{key}" saknas')
    design, strata, ram = record["design"], record["strata"], record["ram"]
    if not isinstance(design, dict) or not isinstance(design.get("id_kolumn"), str) \
            or "seed" not in design:
        raise bad('"design" saknar id_kolumn eller seed')
    if not isinstance(ram, dict) or not isinstance(ram.get("sha256"), str):
        raise bad('"ram" saknar sha256')
    if not isinstance(record["uteslutna"], dict):
        raise bad('"uteslutna" är inget objekt')
    if not isinstance(strata, list) or not all(
        isinstance(s, dict) and isinstance(s.get("stratum"), str)
        and all(isinstance(s.get(k), int) and not isinstance(s.get(k), bool) and s.get(k) >= 0
                for k in ("N", "n", "reserver"))
        for s in strata
    ):
        raise bad('"strata" ska vara en lista med stratum, N, n och reserver för varje stratum')


def _text_table(rows: list[dict[str, str]], empty_columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    cols: list[str] = [] if rows else list(empty_columns)
    for r in rows:
        cols += [c for c in r if c not in cols]
    frame = pd.DataFrame([[r.get(c, "") for c in cols] for r in rows], columns=cols, dtype=object)
    frame.index = pd.RangeIndex(2, len(rows) + 2)
    return frame


def _json_load(text: str, path: Path, what: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InputError(f"{what} är skadat (JSON kan inte läsas).", file=path) from None


def _read_json(path: Path):
    doc = _json_load(_read_text(path), path, "filen")
    if not isinstance(doc, dict) or not isinstance(doc.get("urvalsprotokoll"), dict):
        raise InputError("filen är ingen urvalsfil från granskning urval (JSON): "
                         '"urvalsprotokoll" saknas.', file=path)
    tables = []
    for key in ("urval", "reserver"):
        rows = doc.get(key)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError(f'filen är ingen urvalsfil från granskning urval (JSON): "{key}" '
                             "ska vara en lista med ärenden.", file=path)
        tables.append([{str(k): canonical_text(v) for k, v in r.items()} for r in rows])
    excluded = doc.get("uteslutna", [])
    if not isinstance(excluded, list):
        raise InputError('"uteslutna" ska vara en lista med ärende-id.', file=path)
    return doc["urvalsprotokoll"], tables[0], tables[1], [canonical_text(v) for v in excluded], None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("filen är inte UTF-8; är det en fil från granskning urval?",
                         file=path) from None
    except OSError as exc:
        raise InputError(f"filen kan inte läsas ({exc.strerror}).", file=path) from None


def _read_csv(path: Path):
    record_path = record_path_for(path)
    if not record_path.is_file():
        raise InputError(f"urvalsprotokollet {record_path.name} saknas bredvid CSV-filen; det "
                         "skrivs tillsammans med urvalet och behövs för att läsa det.", file=path)
    doc = _json_load(_read_text(record_path), record_path, "urvalsprotokollet")
    excluded: list[str] = []
    if isinstance(doc, dict) and isinstance(doc.get("urvalsprotokoll"), dict):
        record = doc["urvalsprotokoll"]
        if not isinstance(doc.get("uteslutna", []), list):
            raise InputError('"uteslutna" ska vara en lista med ärende-id.', file=record_path)
        excluded = [canonical_text(v) for v in doc.get("uteslutna", [])]
    else:  # written before version 2: the file is the record itself
        record = doc
    text = _read_text(path)
    csv.field_size_limit(2**31 - 1)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    if not rows or TYPE_COLUMN not in rows[0]:
        raise InputError(f'kolumnen "{TYPE_COLUMN}" saknas; är det en CSV från granskning urval?',
                         file=path, row=1)
    header = rows[0]
    cases: list[dict[str, str]] = []
    reserves: list[dict[str, str]] = []
    for n, values in enumerate(rows[1:], start=2):
        if not values:
            continue
        if len(values) != len(header):
            raise InputError(f"raden har {len(values)} fält, rubrikraden {len(header)}.",
                             file=path, row=n)
        r = dict(zip(header, values, strict=True))
        kind = r.pop(TYPE_COLUMN)
        if kind == "urval":
            cases.append({c: v for c, v in r.items() if c not in RESERVE_ONLY})
        elif kind == "reserv":
            reserves.append({c: v for c, v in r.items() if c not in CASE_ONLY})
        else:
            raise InputError(f'"{kind}" är varken urval eller reserv.', file=path, row=n,
                             column=TYPE_COLUMN)
    return record, cases, reserves, excluded, None


def _read_xlsx(path: Path):
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    check_unpacked_size(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise InputError("filen går inte att läsa som en Excel-arbetsbok (.xlsx).",
                         file=path) from None
    try:
        if "Urvalsprotokoll" not in wb.sheetnames:
            raise _no_record(path)
        proto = [list(r) for r in wb["Urvalsprotokoll"].iter_rows(values_only=True)]
        chunks: list[str] = []
        visible: list[list[Any]] = []
        for row in proto:
            label = row[0] if row else None
            if label == RECORD_JSON_LABEL:
                chunks = [str(row[1] if len(row) > 1 and row[1] is not None else "")]
            elif label == RECORD_JSON_MORE and chunks:
                chunks.append(str(row[1] if len(row) > 1 and row[1] is not None else ""))
            elif not chunks:
                visible.append(row)
        if not chunks:
            raise _no_record(path)
        record = _json_load("".join(chunks), path, "urvalsprotokollet i arbetsboken")
        if not isinstance(record, dict):
            raise InputError("urvalsprotokollet i arbetsboken är skadat.", file=path)
        id_col = (record.get("design") or {}).get("id_kolumn") if isinstance(
            record.get("design"), dict) else None
        tables = []
        for sheet in ("Urval", "Reserver"):
            if sheet not in wb.sheetnames:
                raise InputError(f'bladet "{sheet}" saknas i arbetsboken.', file=path)
            tables.append(_sheet_rows(wb[sheet], path))
        excluded: list[str] = []
        if "Uteslutna" in wb.sheetnames:
            excluded = [r.get(id_col or "", "") for r in _sheet_rows(wb["Uteslutna"], path)]
        return record, tables[0], tables[1], excluded, visible
    finally:
        wb.close()


def _no_record(path: Path) -> InputError:
    return InputError(
        'hittar inget urvalsprotokoll (bladet "Urvalsprotokoll" med raden '
        f'"{RECORD_JSON_LABEL}"). Är det en arbetsbok skriven av granskning urval?', file=path)


def _sheet_rows(ws: Any, path: Path) -> list[dict[str, str]]:
    it = ws.iter_rows(values_only=True)
    header = [canonical_text(v) for v in (next(it, None) or ())]
    while header and header[-1] == "":
        header.pop()
    out = []
    for n, values in enumerate(it, start=2):
        values = list(values)
        if all(v is None or v == "" for v in values):
            continue
        extra = [v for v in values[len(header):] if v not in (None, "")]
        if extra:
            raise InputError(f"bladet {ws.title}: värde i en kolumn utan rubrik.", file=path, row=n)
        values += [None] * (len(header) - len(values))
        out.append(dict(zip(header, (canonical_text(v) for v in values[:len(header)]), strict=True)))
    return out


def _visible_problems(record: Mapping[str, Any], visible: list[list[Any]]) -> list[str]:
    """Return how the visible rows of sheet Urvalsprotokoll differ from the record."""
    try:
        expected = visible_rows(record)
    except (KeyError, TypeError, ZeroDivisionError):
        return ["Bladet Urvalsprotokoll kan inte jämföras med protokollet (JSON)."]

    def norm(row: Sequence[Any]) -> list[str]:
        out = [canonical_text(v) for v in row]
        while out and out[-1] == "":
            out.pop()
        return out

    got = [norm(r) for r in visible]
    while got and not got[-1]:
        got.pop()
    want = [norm(r) for r in expected]
    problems = []
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else []
        w = want[i] if i < len(want) else []
        if len(g) != len(w) or not all(same_cell(x, y) for x, y in zip(g, w, strict=True)):
            label = (w or g or ["?"])[0]
            problems.append(f'Bladet Urvalsprotokoll, rad {i + 1} ("{label}"): visar något annat '
                            "än urvalsprotokollet (JSON) i samma arbetsbok.")
    return problems[:10]


def _consistency_problems(record: Mapping[str, Any], cases: list[dict[str, str]],
                          reserves: list[dict[str, str]]) -> list[str]:
    """Return where the lists disagree with the record's allocation (stratum, weight, n)."""
    design = record["design"]
    strata_col = design.get("strata_kolumn")
    id_col = design["id_kolumn"]
    alloc = {s["stratum"]: s for s in record["strata"]}
    problems: list[str] = []
    for name, rows in (("Urval", cases), ("Reserver", reserves)):
        if rows and id_col not in rows[0]:
            problems.append(f'Bladet {name} saknar kolumnen "{id_col}".')
            continue
        counts: dict[str, int] = {}
        for n, r in enumerate(rows, start=2):
            stratum = r.get(strata_col, "") if strata_col else ""
            counts[stratum] = counts.get(stratum, 0) + 1
            a = alloc.get(stratum)
            if a is None:
                problems.append(f"{name}, rad {n}: stratum som inte finns i urvalsprotokollet.")
                continue
            if name == "Urval" and a["N"] and a["n"]:
                for col, value in (("Inklusionssannolikhet", a["n"] / a["N"]),
                                   ("Vikt", a["N"] / a["n"])):
                    if not same_number(r.get(col), value):
                        problems.append(f"{name}, rad {n}: {col} stämmer inte med stratumets "
                                        f"N = {a['N']} och n = {a['n']} i urvalsprotokollet.")
        key = "n" if name == "Urval" else "reserver"
        for stratum, a in alloc.items():
            if counts.get(stratum, 0) != a[key]:
                problems.append(f"{name}: {antal(counts.get(stratum, 0), 'ärende')} i stratum "
                                f"{stratum or '(inga strata)'}, men {key} = {a[key]} i "
                                "urvalsprotokollet.")
        ids = [r.get(id_col, "") for r in rows]
        if len(set(ids)) != len(ids):
            problems.append(f"{name}: samma ärende-id förekommer flera gånger.")
    return problems[:20]
