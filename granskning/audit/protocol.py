"""Audit protocols (``protocols/*.yaml``): one file describes a whole audit.

A protocol names the audit (``titel``, ``slag``), its checklist, how the
sampling frame is read (``ram``: id, strata, population filter, sex, age and
case-worker columns), the sample design (``urval``: per stratum, a total with an
allocation, or a target margin of error; reserves; seed), what the analysis
reports (``analys``: likställighet tables, indicators, gender analysis and age
bands) and the report's metadata (``rapport``: diarienummer, utgivare,
kontaktperson, date).  An internal-control protocol (``slag: internkontroll``)
adds ``kontroller`` (each with its question, deviation answers, tolerable rate
and risk) and an optional ``enkat`` (the case workers' survey checklist).

The format is documented with the bundled protocols; :func:`load` checks every
key and value and names the file and key in Swedish when something is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning import resources as bundled_files
from granskning.analysis.bands import SEX_WORDS, check_bands
from granskning.audit.casedata import CaseDataSpec, check_spec, spec_of
from granskning.checklist import load as load_checklist
from granskning.checklist.safeyaml import parse, to_python
from granskning.errors import InputError
from granskning.numbers import MAX_POPULATION, parse_seed
from granskning.sampling.timelimits import TimeLimit
from granskning.store.values import refuse_personnummer

if TYPE_CHECKING:
    from granskning.checklist.model import Checklist

__all__ = [
    "Control",
    "Protocol",
    "bundled",
    "case_data_spec",
    "bundled_dir",
    "load",
    "load_sampling_settings",
    "load_yaml",
    "loads",
    "resolve",
]

KINDS = ("granskning", "internkontroll")
TOP_KEYS = {"titel", "slag", "checklista", "ram", "urval", "analys", "rapport", "kontroller", "enkat",
            "beskrivning", "tidsgranser"}
FRAME_KEYS = {"id", "strata", "filter", "blad", "kolumner", "kon", "alder", "personnummer", "handlaggare",
              "arendedata", "aldersdatum"}
DESIGN_KEYS = {"per_stratum", "totalt", "fordelning", "minimum", "seed", "reserver", "andelar",
               "felmarginal", "konfidens"}
ANALYSIS_KEYS = {"tabeller", "indikatorer", "jamstalldhet", "tratt", "stratumordning", "skattning",
                 "tabellstratum"}
GENDER_KEYS = {"fragor", "aldersgrupper", "benamning", "flickor", "pojkar"}
REPORT_KEYS = {"diarienummer", "utgivare", "kontaktperson", "datum", "utgivningsdatum", "forfattare",
               "undertitel", "enhet"}
CONTROL_KEYS = {"id", "titel", "fraga", "avvikelse", "tolerabel", "forvantad", "risk"}
LIMIT_KEYS = {"namn", "benamning", "fran", "till", "dagar", "strata", "filter", "fraga"}
ALLOCATIONS = ("lika", "proportionell", "neyman")
STRATUM_JOIN = " | "


# -- YAML ----------------------------------------------------------------------


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Return the top-level mapping of a YAML file, with Swedish errors for broken files."""
    path = Path(path)
    if not path.exists():
        raise InputError("filen finns inte.", file=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("filen är inte UTF-8-kodad.", file=path) from None
    return _parse_yaml(text, path)


def _parse_yaml(text: str, path: str | Path | None) -> dict[str, Any]:
    # The checklists' safe reader: no tags, anchors or deep nesting, Swedish messages only.
    doc = to_python(parse(text, source=str(path) if path is not None else None))
    if not isinstance(doc, dict):
        raise InputError("filen ska innehålla nycklar och värden (en YAML-mappning).", file=path)
    return doc


def _section(doc: dict[str, Any], name: str, allowed: set[str], path: Any) -> dict[str, Any]:
    part = doc.get(name) or {}
    if not isinstance(part, dict):
        raise InputError(f'"{name}" ska vara en mappning av nycklar.', file=path)
    unknown = sorted(set(part) - allowed)
    if unknown:
        raise InputError(
            f'okänd nyckel i "{name}": ' + ", ".join(unknown)
            + ". Tillåtna: " + ", ".join(sorted(allowed)) + ".",
            file=path,
        )
    return part


def load_sampling_settings(path: str | Path) -> dict[str, Any]:
    """Return the frame mapping and design of a protocol as one flat dict (for ``granskning urval``)."""
    doc = load_yaml(path)
    settings: dict[str, Any] = {}
    for section, allowed in (("ram", FRAME_KEYS), ("urval", DESIGN_KEYS)):
        settings.update(_section(doc, section, allowed, path))
    if isinstance(settings.get("kolumner"), str):
        settings["kolumner"] = [c.strip() for c in settings["kolumner"].split(",") if c.strip()]
    strata = settings.get("strata")
    if isinstance(strata, list):
        if len(strata) != 1:
            raise InputError(
                "protokollet stratifierar på flera kolumner (" + ", ".join(map(str, strata))
                + "); dra urvalet med granskning ny PROTOKOLL --ram RAM.",
                file=path,
            )
        settings["strata"] = strata[0]
    if "felmarginal" in settings and settings.get("per_stratum") is None and settings.get("totalt") is None:
        raise InputError(
            "protokollet anger en felmarginal i stället för n; dra urvalet med "
            "granskning ny PROTOKOLL --ram RAM (som räknar fram n ur ramen).",
            file=path,
        )
    return settings


# -- the model -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Control:
    """One control of an internal-control protocol: a question checked in n files."""

    id: str
    title: str
    question: str
    deviations: tuple[str, ...]
    tolerable: float
    expected: float = 0.0
    risk: float = 0.05


@dataclass(frozen=True, slots=True)
class RegisterLimit:
    """A time limit measured over the whole frame at ``granskning ny`` (``tidsgranser:``).

    ``strata`` None: the protocol's table stratum; ``""``: no breakdown.  ``filter`` is
    added to the protocol's population filter.  ``question``: the checklist question
    that judges the same limit in the sample (shown beside the register's figure).
    """

    limit: TimeLimit
    strata: str | None = None
    filter: str | None = None
    question: str | None = None


@dataclass(frozen=True, slots=True)
class Protocol:
    """A validated protocol: everything that defines one audit."""

    title: str
    kind: str
    checklist: str
    id_column: str
    strata: tuple[str, ...]
    filter: str | None
    sheet: str | None
    keep: tuple[str, ...]
    sex_column: str | None
    age_column: str | None
    personnummer_column: str | None
    case_worker_column: str | None
    per_stratum: int | None
    total: int | None
    allocation: str
    minimum: int
    proportions: dict[str, float] | None
    target_margin: float | None
    confidence: float
    seed: int | str
    reserves: int
    tables: tuple[str, ...]
    indicators: tuple[str, ...] | None  # None: the checklist's indicator questions
    gender_questions: tuple[str, ...] | None  # None: every indicator with a hindrance category
    age_bands: tuple[tuple[int, int], ...] | None  # None: the default for the data (children 0–3/4–6/7–12)
    funnel: tuple[str, ...] | None  # None: every indicator
    strata_order: tuple[str, ...] | None
    estimate: bool  # False: the sample makes no claim about the population
    table_level: int  # which part of a combined stratum the likställighet tables use (0-based)
    report: dict[str, str]
    controls: tuple[Control, ...]
    survey: str | None
    description: str | None
    text: str = field(repr=False)
    source: str | None = None
    sex_words: str | None = None  # analys.jamstalldhet.benamning: barn, vuxna or alla; None: from the data
    # ram.arendedata: the frame columns that travel with each case (names, or name -> column);
    # None: the checklist's arendedata names. ram.aldersdatum: the age at this date of each case.
    case_data: dict[str, str] | tuple[str, ...] | None = None
    age_date_column: str | None = None
    time_limits: tuple[RegisterLimit, ...] = ()  # tidsgranser: measured over the frame at ny

    @property
    def sha256(self) -> str:
        """Return the SHA-256 of the protocol text (stored with the audit)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def strata_column(self) -> str | None:
        """Return the name of the (possibly combined) stratum column used in the draw."""
        if not self.strata:
            return None
        return self.strata[0] if len(self.strata) == 1 else " × ".join(self.strata)


def _str(value: Any, key: str, path: Any, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise InputError(f'nyckeln "{key}" saknas.', file=path)
        return None
    if isinstance(value, (dict, list)):
        raise InputError(f'"{key}" ska vara en text.', file=path)
    text = str(value).strip()
    if required and not text:
        raise InputError(f'"{key}" får inte vara tomt.', file=path)
    return text or None


def _names(value: Any, key: str, path: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise InputError(f'"{key}" ska vara en lista av namn.', file=path)
    return tuple(str(v).strip() for v in value if str(v).strip())


def _case_data(value: Any, path: Any) -> dict[str, str] | tuple[str, ...] | None:
    """Return ``ram.arendedata``: a list of column names, or a mapping name -> column."""
    if isinstance(value, dict):
        if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value.values()):
            raise InputError('"ram.arendedata" ska vara en lista av kolumner eller namn: kolumn.',
                             file=path)
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    return _names(value, "ram.arendedata", path)


def _int(value: Any, key: str, path: Any, *, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        shown = value if not isinstance(value, int) or len(str(value)) <= 20 else "ett för stort tal"
        raise InputError(f'"{key}" ska vara ett heltal som är minst {minimum} (fick {shown!r}).', file=path)
    if value > MAX_POPULATION:
        raise InputError(f'"{key}" får vara högst {MAX_POPULATION:,} (fick ett tal med {len(str(value))} siffror).'
                         .replace(",", " "), file=path)
    return value


def _fraction(value: Any, key: str, path: Any, *, default: float | None = None,
              closed_low: bool = False) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f'"{key}" ska vara en andel, till exempel 0.05 (fick {value!r}).', file=path)
    ok = (0 <= value < 1) if closed_low else (0 < value < 1)
    if not ok:
        raise InputError(f'"{key}" ska ligga mellan 0 och 1 (fick {value}); skriv 5 % som 0.05.', file=path)
    return float(value)


def _bands(value: Any, path: Any) -> tuple[tuple[int, int], ...] | None:
    if value is None:
        return None
    bad = InputError('"jamstalldhet.aldersgrupper" ska vara en lista av par, t.ex. [[0, 3], [4, 6]].',
                     file=path)
    if not isinstance(value, list) or not value:
        raise bad
    out = []
    for item in value:
        if (not isinstance(item, list) or len(item) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in item)):
            raise bad
        out.append((int(item[0]), int(item[1])))

    return check_bands(out)


def _controls(value: Any, path: Any) -> tuple[Control, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError('"kontroller" ska vara en lista.', file=path)
    out: list[Control] = []
    for i, item in enumerate(value, start=1):
        where = f"kontroller[{i}]"
        if not isinstance(item, dict):
            raise InputError(f'"{where}" ska vara en mappning.', file=path)
        unknown = sorted(set(item) - CONTROL_KEYS)
        if unknown:
            raise InputError(f'okänd nyckel i "{where}": {", ".join(unknown)}. Tillåtna: '
                             + ", ".join(sorted(CONTROL_KEYS)) + ".", file=path)
        deviations = _names(item.get("avvikelse"), f"{where}.avvikelse", path) or ("Nej",)
        tolerable = _fraction(item.get("tolerabel"), f"{where}.tolerabel", path)
        if tolerable is None:
            raise InputError(f'"{where}.tolerabel" saknas (tolerabel avvikelse, t.ex. 0.05).', file=path)
        expected = _fraction(item.get("forvantad"), f"{where}.forvantad", path, default=0.0,
                             closed_low=True)
        if expected is not None and expected >= tolerable:
            raise InputError(f'"{where}": förväntad avvikelse måste vara lägre än den tolerabla.', file=path)
        out.append(Control(
            id=_str(item.get("id"), f"{where}.id", path, required=True) or "",
            title=_str(item.get("titel"), f"{where}.titel", path, required=True) or "",
            question=_str(item.get("fraga"), f"{where}.fraga", path, required=True) or "",
            deviations=deviations,
            tolerable=tolerable,
            expected=expected or 0.0,
            risk=_fraction(item.get("risk"), f"{where}.risk", path, default=0.05) or 0.05,
        ))
    ids = [c.id for c in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError(f'kontrollen "{dup[0]}" finns flera gånger.', file=path)
    return tuple(out)


def _time_limits(value: Any, path: Any) -> tuple[RegisterLimit, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError('"tidsgranser" ska vara en lista, t.ex. [{namn: …, fran: inkom_datum, '
                         'till: beslut_datum, dagar: 14}].', file=path)
    out: list[RegisterLimit] = []
    for i, item in enumerate(value, start=1):
        where = f"tidsgranser[{i}]"
        if not isinstance(item, dict):
            raise InputError(f'"{where}" ska vara en mappning med fran, till och dagar.', file=path)
        unknown = sorted(set(item) - LIMIT_KEYS)
        if unknown:
            raise InputError(f'okänd nyckel i "{where}": {", ".join(unknown)}. Tillåtna: '
                             + ", ".join(sorted(LIMIT_KEYS)) + ".", file=path)
        days = item.get("dagar")
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InputError(f'"{where}.dagar" ska vara ett heltal 0 eller större (fick {days!r}).', file=path)
        limit = TimeLimit(_str(item.get("fran"), f"{where}.fran", path, required=True) or "",
                          _str(item.get("till"), f"{where}.till", path, required=True) or "",
                          days, _str(item.get("namn"), f"{where}.namn", path),
                          _str(item.get("benamning"), f"{where}.benamning", path))
        limit.check(path)
        strata = item.get("strata", None)
        out.append(RegisterLimit(limit, None if strata is None else (_str(strata, f"{where}.strata", path) or ""),
                                 _str(item.get("filter"), f"{where}.filter", path),
                                 _str(item.get("fraga"), f"{where}.fraga", path)))
    return tuple(out)


def loads(text: str, *, source: str | Path | None = None) -> Protocol:
    """Return the protocol in ``text`` (YAML), checked key by key."""
    path = source
    doc = _parse_yaml(text, path)

    # title, filter, texts: all end up in the database, the draw record and the report
    refuse_personnummer(doc, "protokollet", file=path, numbers=False)
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise InputError("okänd nyckel: " + ", ".join(unknown) + ". Tillåtna: "
                         + ", ".join(sorted(TOP_KEYS)) + ".", file=path)
    ram = _section(doc, "ram", FRAME_KEYS, path)
    urval = _section(doc, "urval", DESIGN_KEYS, path)
    analys = _section(doc, "analys", ANALYSIS_KEYS, path)
    rapport = _section(doc, "rapport", REPORT_KEYS, path)
    kind = _str(doc.get("slag"), "slag", path) or "granskning"
    if kind not in KINDS:
        raise InputError(f'"slag" ska vara granskning eller internkontroll (fick "{kind}").', file=path)
    strata = _names(ram.get("strata"), "ram.strata", path) or ()
    per_stratum = _int(urval.get("per_stratum"), "urval.per_stratum", path, minimum=1)
    total = _int(urval.get("totalt"), "urval.totalt", path, minimum=1)
    target = _fraction(urval.get("felmarginal"), "urval.felmarginal", path)
    controls = _controls(doc.get("kontroller"), path)
    given = [k for k, v in (("per_stratum", per_stratum), ("totalt", total), ("felmarginal", target))
             if v is not None]
    if len(given) > 1:
        raise InputError('ange bara ett av "urval.per_stratum", "urval.totalt" och "urval.felmarginal".',
                         file=path)
    if not given and not (kind == "internkontroll" and controls):
        raise InputError('"urval" behöver per_stratum, totalt eller felmarginal (eller, för '
                         'internkontroll, kontroller med tolerabel avvikelse).', file=path)
    allocation = _str(urval.get("fordelning"), "urval.fordelning", path) or "lika"
    if allocation not in ALLOCATIONS:
        raise InputError(f'"urval.fordelning" ska vara en av {", ".join(ALLOCATIONS)} (fick "{allocation}").',
                         file=path)
    seed = urval.get("seed")
    if seed is None or isinstance(seed, (bool, dict, list)) or str(seed).strip() == "":
        raise InputError('"urval.seed" saknas: ett protokoll bestämmer sitt urval helt, ange ett seed.',
                         file=path)
    proportions = urval.get("andelar")
    if proportions is not None and not (isinstance(proportions, dict)
                                        and all(isinstance(v, (int, float)) for v in proportions.values())):
        raise InputError('"urval.andelar" ska vara en mappning stratum: andel.', file=path)
    gender = analys.get("jamstalldhet") or {}
    if not isinstance(gender, dict):
        raise InputError('"analys.jamstalldhet" ska vara en mappning.', file=path)
    bad = sorted(set(gender) - GENDER_KEYS)
    if bad:
        raise InputError('okänd nyckel i "analys.jamstalldhet": ' + ", ".join(bad) + ".", file=path)
    report = {k: str(v).strip() for k, v in rapport.items() if v is not None and str(v).strip()}
    table_level = analys.get("tabellstratum", 1)
    if isinstance(table_level, bool) or not isinstance(table_level, int) or not 1 <= table_level <= max(1, len(strata)):
        raise InputError(f'"analys.tabellstratum" ska vara ett heltal mellan 1 och {max(1, len(strata))}.',
                         file=path)
    survey = doc.get("enkat")
    if survey is not None and kind != "internkontroll":
        raise InputError('"enkat" hör bara till protokoll med slag: internkontroll.', file=path)
    if controls and kind != "internkontroll":
        raise InputError('"kontroller" hör bara till protokoll med slag: internkontroll.', file=path)
    keep = _names(ram.get("kolumner"), "ram.kolumner", path) or ()
    return Protocol(
        title=_str(doc.get("titel"), "titel", path, required=True) or "",
        kind=kind,
        checklist=_str(doc.get("checklista"), "checklista", path, required=True) or "",
        id_column=_str(ram.get("id"), "ram.id", path, required=True) or "",
        strata=strata,
        filter=_str(ram.get("filter"), "ram.filter", path),
        sheet=_str(ram.get("blad"), "ram.blad", path),
        keep=keep,
        sex_column=_str(ram.get("kon"), "ram.kon", path),
        age_column=_str(ram.get("alder"), "ram.alder", path),
        personnummer_column=_str(ram.get("personnummer"), "ram.personnummer", path),
        case_worker_column=_str(ram.get("handlaggare"), "ram.handlaggare", path),
        case_data=_case_data(ram.get("arendedata"), path),
        age_date_column=_str(ram.get("aldersdatum"), "ram.aldersdatum", path),
        per_stratum=per_stratum,
        total=total,
        allocation=allocation,
        minimum=_int(urval.get("minimum"), "urval.minimum", path, minimum=0) or 0,
        proportions={str(k): float(v) for k, v in proportions.items()} if proportions else None,
        target_margin=target,
        confidence=_fraction(urval.get("konfidens"), "urval.konfidens", path, default=0.95) or 0.95,
        seed=_seed(seed),
        reserves=_int(urval.get("reserver"), "urval.reserver", path, minimum=0) or 0,
        tables=_names(analys.get("tabeller"), "analys.tabeller", path) or (),
        indicators=_names(analys.get("indikatorer"), "analys.indikatorer", path),
        gender_questions=_names(gender.get("fragor"), "analys.jamstalldhet.fragor", path),
        age_bands=_bands(gender.get("aldersgrupper"), path),
        sex_words=_sex_words(gender.get("benamning"), path),
        time_limits=_time_limits(doc.get("tidsgranser"), path),
        funnel=_names(analys.get("tratt"), "analys.tratt", path),
        strata_order=_names(analys.get("stratumordning"), "analys.stratumordning", path),
        estimate=bool(analys.get("skattning", True)),
        table_level=table_level - 1,
        report=report,
        controls=controls,
        survey=_str(survey, "enkat", path),
        description=_str(doc.get("beskrivning"), "beskrivning", path),
        text=text,
        source=str(source) if source is not None else None,
    )


def _sex_words(value: Any, path: Any) -> str | None:
    if value is None:
        return None
    word = str(value).strip().casefold() if isinstance(value, str) else None
    if word not in SEX_WORDS:
        raise InputError(f'"analys.jamstalldhet.benamning" ska vara {", ".join(SEX_WORDS)} '
                         f"(barn: flickor och pojkar, vuxna: kvinnor och män; fick {value!r}).", file=path)
    return word


def _seed(value: Any) -> int | str:
    return parse_seed(value if isinstance(value, int) else str(value))


def load(path: str | Path) -> Protocol:
    """Return the protocol in a file or a bundled protocol named by its id (file stem)."""
    p = resolve(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("filen är inte UTF-8-kodad.", file=p) from None
    return loads(text, source=p)


def check_against_checklist(protocol: Protocol) -> None:
    """Raise InputError when the protocol names questions its checklist does not have."""

    chk = load_checklist(protocol.checklist)
    case_data_spec(protocol, chk)
    known = {q.id for q in chk.questions}
    named = [("analys.tabeller", protocol.tables), ("analys.indikatorer", protocol.indicators or ()),
             ("analys.jamstalldhet.fragor", protocol.gender_questions or ()),
             ("analys.tratt", protocol.funnel or ()),
             ("kontroller", tuple(c.question for c in protocol.controls)),
             ("tidsgranser.fraga", tuple(t.question for t in protocol.time_limits if t.question))]
    for key, ids in named:
        for qid in ids:
            if qid not in known:
                raise InputError(f'"{key}" nämner frågan {qid}, som inte finns i checklistan {chk.id}.',
                                 file=protocol.source)
    for c in protocol.controls:
        q = chk.question(c.question)
        allowed = set(q.choices) | set(q.hindrances) | set(q.not_applicable)
        for value in c.deviations:
            if allowed and value not in allowed:
                raise InputError(f'kontrollen "{c.id}": "{value}" är inget svar på fråga {q.id}.',
                                 file=protocol.source)


def case_data_spec(protocol: Protocol, checklist: Checklist) -> CaseDataSpec:
    """Return the columns that travel with each case; InputError when the checklist's are not all there."""
    spec = spec_of(protocol.case_data, protocol.age_date_column, checklist, where=protocol.source)
    p = protocol
    check_spec(spec, checklist, age=bool(p.age_column or p.personnummer_column),
               sex=bool(p.sex_column or p.personnummer_column),
               personnummer_column=p.personnummer_column, where=p.source)
    return spec


def report_date(protocol: Protocol, today: dt.date | None = None) -> str:
    """Return the report's publication date as written in the protocol, else today's (ÅÅÅÅ-MM-DD)."""
    return protocol.report.get("utgivningsdatum") or protocol.report.get("datum") or (
        (today or dt.date.today()).isoformat())


# -- where protocols are found ------------------------------------------------------


def bundled_dir() -> Path:
    """Return the directory of the protocols shipped with the tool."""

    return bundled_files.directory("protocols")


def bundled() -> list[Path]:
    """Return the bundled protocol files, sorted by name."""

    return bundled_files.files("protocols")


def resolve(name: str | Path) -> Path:
    """Return the file for a path or a bundled protocol id; InputError when neither exists."""

    return bundled_files.resolve("protocols", name, what="det medföljande protokollet")


def protocol_of(audit: Any) -> Protocol | None:
    """Return the protocol stored with an audit, or None when it was created without one."""
    text = getattr(audit, "protocol_text", None)
    if not text:
        return None
    return loads(text, source=f"protokollet i granskning {audit.id}")

