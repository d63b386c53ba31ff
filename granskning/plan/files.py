"""Reading an internal-control plan file (YAML, Swedish ASCII keys) into a :class:`Plan`.

The file is read with the checklists' safe YAML reader (no tags, anchors or deep nesting)
and every problem is collected with file, line and key, then raised together as one
:class:`~granskning.errors.ManyInputErrors` (exit 2).  The format is documented for unit
managers in ``docs/plan.md``; :data:`EXAMPLE` is the bundled example.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from granskning import resources
from granskning.checklist.safeyaml import ChecklistFileError, Node, parse
from granskning.errors import InputError, ManyInputErrors
from granskning.plan.model import FREQUENCIES, METHODS, PERIODS, Control, Plan, Risk
from granskning.secrecy import find_personnummer

__all__ = ["EXAMPLE", "load", "loads"]

EXAMPLE = "ikp-familjehem"
MAX_BYTES = 1_000_000
TOP_KEYS = ("id", "titel", "enhet", "ar", "beskrivning", "riskmatris", "risker", "kontroller")
TOP_REQUIRED = ("id", "titel", "riskmatris", "kontroller")
MATRIX_KEYS = ("skala", "kontroll_fran")
MATRIX_REQUIRED = ("kontroll_fran",)
RISK_KEYS = ("id", "titel", "sannolikhet", "konsekvens", "beskrivning")
RISK_REQUIRED = ("id", "titel", "sannolikhet", "konsekvens")
CONTROL_KEYS = ("id", "kontrollmoment", "population", "metod", "frekvens", "ansvarig",
                "rapporteras", "risker", "tolerabel", "mal", "beskrivning")
CONTROL_REQUIRED = ("id", "kontrollmoment", "population", "metod", "frekvens", "ansvarig",
                    "rapporteras")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
SCALES = range(2, 11)
YEARS = range(2000, 2101)

Entry = tuple[Node, Node]


def _suggest(value: str, allowed: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.6)
    return f' (menade du "{close[0]}"?)' if close else ""


class _Checker:
    """Collects problems with their line and key."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.problems: list[ChecklistFileError] = []

    def error(self, line: int | None, message: str, key: str | None = None) -> None:
        self.problems.append(ChecklistFileError(message, file=self.source, line=line, key=key))

    def mapping(self, node: Node, allowed: tuple[str, ...], required: tuple[str, ...],
                what: str) -> dict[str, Entry]:
        if node.kind != "map":
            self.error(node.line, f"{what} ska vara en uppställning med nycklar (nyckel: värde)")
            return {}
        found: dict[str, Entry] = {}
        for key_node, value_node in node.items:
            key = str(key_node.value) if key_node.kind == "scalar" else ""
            if not key:
                self.error(key_node.line, "en nyckel ska vara ett enkelt ord")
            elif key in found:
                self.error(key_node.line, f"nyckeln förekommer två gånger i {what}", key)
            elif key not in allowed:
                self.error(key_node.line, f"okänd nyckel i {what}{_suggest(key, allowed)}", key)
            else:
                found[key] = (key_node, value_node)
        for key in required:
            if key not in found or found[key][1].is_null:
                line = found[key][0].line if key in found else node.line
                self.error(line, f"nyckeln saknas eller är tom i {what}", key)
        return found

    def text(self, entry: Entry | None, key: str) -> str | None:
        if entry is None or entry[1].is_null:
            return None
        node = entry[1]
        if node.kind != "scalar":
            self.error(node.line, "ska vara en text", key)
            return None
        value = " ".join(str(node.value).split())
        if not value:
            self.error(node.line, "får inte vara tom", key)
            return None
        return value

    def ident(self, entry: Entry | None, key: str = "id") -> str | None:
        value = self.text(entry, key)
        if value is not None and not ID.fullmatch(value):
            self.error(entry[1].line, "ett id ska vara högst 40 tecken: bokstäver a–z, siffror, "
                       "punkt, - och _ (till exempel DOK-1)", key)
            return None
        return value

    def integer(self, entry: Entry | None, key: str, allowed: range, what: str) -> int | None:
        if entry is None or entry[1].is_null:
            return None
        node = entry[1]
        raw = str(node.value).strip() if node.kind == "scalar" else ""
        if not re.fullmatch(r"[0-9]{1,6}", raw):
            self.error(node.line, f"ska vara ett heltal ({what})", key)
            return None
        value = int(raw)
        if value not in allowed:
            self.error(node.line, f"{value} ligger utanför {what}", key)
            return None
        return value

    def share(self, entry: Entry | None, key: str) -> float | None:
        """A proportion written 0.10, 0,10 or 10 %; refused outside 0–1."""
        if entry is None or entry[1].is_null:
            return None
        node = entry[1]
        raw = str(node.value).strip().replace(",", ".") if node.kind == "scalar" else ""
        percent = raw.endswith("%")
        raw = raw.removesuffix("%").strip()
        if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,6})?", raw):
            self.error(node.line, "ska vara en andel, till exempel 0.10 eller 10 %", key)
            return None
        value = float(raw) / (100 if percent else 1)
        if not percent and value > 1:
            self.error(node.line, f"skriv procent med procenttecken ({raw} %) eller som andel "
                       "(0.10 för 10 %)", key)
            return None
        if not 0 <= value <= 1:
            self.error(node.line, "en andel ligger mellan 0 och 1 (0 % och 100 %)", key)
            return None
        return value

    def choice(self, entry: Entry | None, key: str, allowed: tuple[str, ...], what: str) -> str | None:
        value = self.text(entry, key)
        if value is None:
            return None
        if value not in allowed:
            self.error(entry[1].line, f'okänd {what} "{value}"{_suggest(value, allowed)}; '
                       f"välj bland {', '.join(allowed)}", key)
            return None
        return value

    def items(self, entry: Entry | None, key: str) -> list[Node]:
        """The scalar items of a list (a single value counts as a list of one)."""
        if entry is None or entry[1].is_null:
            return []
        node = entry[1]
        items = [node] if node.kind == "scalar" else node.items if node.kind == "seq" else None
        if items is None:
            self.error(node.line, "ska vara en lista, till exempel [T2, VB]", key)
            return []
        good = []
        for item in items:
            if item.kind != "scalar" or item.is_null or not str(item.value).strip():
                self.error(item.line, "listan får bara innehålla texter", key)
            else:
                good.append(item)
        return good


def loads(text: str, *, source: str | None = None) -> Plan:
    """Return the validated plan in ``text``; ManyInputErrors lists every problem (exit 2)."""
    hits = find_personnummer(text)
    if hits:
        line = text.count("\n", 0, hits[0].start) + 1
        raise InputError(f"rad {line} innehåller ett personnummer; ta bort det (planens text "
                         "skrivs ut i kalendern och rapporterna).", file=source)
    try:
        root = parse(text, source=source)
    except ChecklistFileError as exc:
        raise ManyInputErrors([exc]) from None
    chk = _Checker(source)
    if root is None:
        chk.error(1, "filen är tom")
        raise ManyInputErrors(chk.problems)
    top = chk.mapping(root, TOP_KEYS, TOP_REQUIRED, "planen")
    plan_id = chk.ident(top.get("id"))
    title = chk.text(top.get("titel"), "titel")
    unit = chk.text(top.get("enhet"), "enhet")
    year = chk.integer(top.get("ar"), "ar", YEARS, "åren 2000–2100")
    scale, threshold = _matrix(chk, top.get("riskmatris"))
    risks, risk_ids = _risks(chk, top.get("risker"), scale)
    controls = _controls(chk, top.get("kontroller"), risk_ids)
    if chk.problems:
        raise ManyInputErrors(sorted(chk.problems, key=lambda p: p.line or 0))
    return Plan(id=plan_id or "", title=title or "", unit=unit, year=year, scale=scale,
                threshold=threshold, risks=risks, controls=controls, source=source)


def load(path: str | Path) -> Plan:
    """Return the validated plan in a YAML file, or the bundled plan of that name."""
    p = resources.resolve("plans", path, what="planen")
    shown = str(path) if Path(path).is_file() else f"plans/{p.name}"
    if p.stat().st_size > MAX_BYTES:
        raise InputError(f"filen är för stor (högst {MAX_BYTES // 1_000_000} MB)", file=shown)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ChecklistFileError("filen är inte sparad som UTF-8", file=shown, line=line) from None
    return loads(text, source=shown)


def _matrix(chk: _Checker, entry: Entry | None) -> tuple[int, int]:
    if entry is None or entry[1].is_null:
        return 4, 1  # already reported as missing
    found = chk.mapping(entry[1], MATRIX_KEYS, MATRIX_REQUIRED, "riskmatrisen")
    scale = chk.integer(found.get("skala"), "skala", SCALES, "skalorna 2–10") or 4
    top = scale * scale
    threshold = chk.integer(found.get("kontroll_fran"), "kontroll_fran", range(1, top + 1),
                            f"riskvärdena 1–{top} (skala {scale} × {scale})")
    return scale, threshold or 1


def _risks(chk: _Checker, entry: Entry | None, scale: int) -> tuple[tuple[Risk, ...], set[str]]:
    """Return the valid risks and the ids of every risk named (a control may refer to those)."""
    if entry is None or entry[1].is_null:
        return (), set()
    if entry[1].kind != "seq":
        chk.error(entry[1].line, "ska vara en lista med risker", "risker")
        return (), set()
    out: list[Risk] = []
    seen: dict[str, int] = {}
    where = f"riskmatrisen (1–{scale})"
    for node in entry[1].items:
        found = chk.mapping(node, RISK_KEYS, RISK_REQUIRED, "risken")
        rid = chk.ident(found.get("id"))
        if rid is not None and rid in seen:
            chk.error(found["id"][1].line, f'risken "{rid}" finns redan (rad {seen[rid]})', "id")
            rid = None
        title = chk.text(found.get("titel"), "titel")
        p = chk.integer(found.get("sannolikhet"), "sannolikhet", range(1, scale + 1), where)
        c = chk.integer(found.get("konsekvens"), "konsekvens", range(1, scale + 1), where)
        if rid is not None:
            seen[rid] = node.line
        if None not in (rid, title, p, c):
            out.append(Risk(id=rid, title=title, probability=p, consequence=c, line=node.line))
    return tuple(out), set(seen)


def _controls(chk: _Checker, entry: Entry | None, risk_ids: set[str]) -> tuple[Control, ...]:
    if entry is None or entry[1].is_null:
        return ()
    if entry[1].kind != "seq" or not entry[1].items:
        chk.error(entry[1].line, "ska vara en lista med minst en kontroll", "kontroller")
        return ()
    out: list[Control] = []
    seen: dict[str, int] = {}
    for node in entry[1].items:
        control = _control(chk, node, risk_ids)
        if control is None:
            continue
        if control.id in seen:
            chk.error(control.line, f'kontrollen "{control.id}" finns redan (rad {seen[control.id]})',
                      "id")
            continue
        seen[control.id] = control.line
        out.append(control)
    return tuple(out)


def _control(chk: _Checker, node: Node, risk_ids: set[str]) -> Control | None:
    before = len(chk.problems)
    found = chk.mapping(node, CONTROL_KEYS, CONTROL_REQUIRED, "kontrollen")
    values = {
        "id": chk.ident(found.get("id")),
        "what": chk.text(found.get("kontrollmoment"), "kontrollmoment"),
        "population": chk.text(found.get("population"), "population"),
        "method": chk.choice(found.get("metod"), "metod", tuple(METHODS), "metod"),
        "frequency": chk.choice(found.get("frekvens"), "frekvens", tuple(FREQUENCIES), "frekvens"),
        "owner": chk.text(found.get("ansvarig"), "ansvarig"),
        "periods": _periods(chk, found.get("rapporteras")),
        "risks": _risk_refs(chk, found.get("risker"), risk_ids),
        "tolerable": chk.share(found.get("tolerabel"), "tolerabel"),
        "target": chk.share(found.get("mal"), "mal"),
        "description": chk.text(found.get("beskrivning"), "beskrivning"),
    }
    if values["tolerable"] is not None and not 0 < values["tolerable"] < 1:
        chk.error(found["tolerabel"][1].line, "den tolerabla avvikelsen ska ligga mellan 0 % och "
                  "100 % (till exempel 10 %)", "tolerabel")
    if len(chk.problems) > before:
        return None
    return Control(line=node.line, **values)


def _periods(chk: _Checker, entry: Entry | None) -> tuple[str, ...]:
    out: list[str] = []
    for item in chk.items(entry, "rapporteras"):
        value = str(item.value).strip()
        if value.upper() in PERIODS and value.upper() not in out:
            out.append(value.upper())
        elif value.upper() in PERIODS:
            chk.error(item.line, f'perioden "{value}" står två gånger', "rapporteras")
        else:
            chk.error(item.line, f'perioden "{value}" finns inte{_suggest(value.upper(), PERIODS)}; '
                      f"perioderna är {', '.join(PERIODS)}", "rapporteras")
    return tuple(sorted(out, key=PERIODS.index))


def _risk_refs(chk: _Checker, entry: Entry | None, risk_ids: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in chk.items(entry, "risker"):
        value = str(item.value).strip()
        if value not in risk_ids:
            known = ", ".join(sorted(risk_ids)) or "inga"
            chk.error(item.line, f'risken "{value}" finns inte i planens risker'
                      f"{_suggest(value, sorted(risk_ids))}; planens risker: {known}", "risker")
        elif value not in out:
            out.append(value)
    return tuple(out)


def run_of(path: str | Path, control_id: str) -> tuple[str, str]:
    """Return (plan id, control id) for an audit that runs a control of the plan in ``path``.

    Refuses (exit 2) a control id the plan does not have, suggesting the nearest.
    """
    plan = load(path)
    if plan.control(control_id) is None:
        ids = [c.id for c in plan.controls]
        raise InputError(f'kontrollen "{control_id}" finns inte i planen{_suggest(control_id, ids)}; '
                         f"planens kontroller: {', '.join(ids)}", file=plan.source)
    return plan.id, control_id
