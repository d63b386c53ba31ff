"""Double reading: ``granskning dubbelgranska``, ``granskning jamfor`` and ``granskning avgor``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from granskning.audit.assignment import parse_reviewers
from granskning.audit.double import (
    MIN_PAIRS_FOR_INTERVAL,
    Agreement,
    Disagreement,
    agreement,
    double_read,
    settle_answer,
)
from granskning.audit.opened import open_audit
from granskning.audit.pseudonym import find_case
from granskning.cli.options import audit_option, db_option, json_option, reviewers_option
from granskning.fmt import procent, tal
from granskning.numbers import parse_rate
from granskning.secrecy import scrub
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal

DUBBEL_HELP = """Låt en andel av ärendena läsas en andra gång, oberoende, av en annan granskare
(dubbelgranskning, som REDCaps "double data entry").

Andelen räknas av de tilldelade ärendena och avrundas uppåt; ärenden som redan
dubbelgranskas räknas in. Ärendena väljs i en slumpmässig men reproducerbar
ordning. Den andra läsaren är aldrig ärendets första granskare eller dess
handläggare. Den andra läsaren svarar med granskning kontroll --andra-lasning
och ser inte den första läsningens svar.

\b
  granskning dubbelgranska --granskning 1 --andel "10 %"
  granskning dubbelgranska --granskning 1 --andel 10 --granskare "Anna,Bo,Cecilia"
"""

JAMFOR_HELP = """Jämför dubbelgranskningens två läsningar: per fråga andelen lika svar och,
för Ja/Nej-frågor och frågor med ett val, Cohens kappa med konfidensintervall;
därefter listan över skillnader (ärende, fråga, båda svaren) att avgöra med
granskning avgor. Bara ärenden där båda läsningarna är klara jämförs; fritext
och motiveringar jämförs inte.

\b
  granskning jamfor --granskning 1
  granskning jamfor --granskning 1 --json
"""

AVGOR_HELP = """Avgör en skillnad mellan dubbelgranskningens två läsningar. Det avgjorda
svaret är det som analysen och rapporten använder; båda läsningarna och
avgörandet finns kvar i historiken. Ett tomt --svar "" avgör att frågan inte
ska ha något svar.

\b
  granskning avgor --granskning 1 --arende Ä-K7QX2MBD4N --fraga F7 --svar Ja
"""


@click.command(name="dubbelgranska", help=DUBBEL_HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--andel", "share", required=True, metavar="ANDEL",
              help='Andel av de tilldelade ärendena som läses två gånger: "10 %", 10 eller 0,1.')
@reviewers_option("Vilka som gör andra läsningar (standard: alla som har ärenden).")
@db_option
@json_option()
def dubbelgranska(audit_id: int, share: str, reviewers: str | None, url: str | None,
                  as_json: bool) -> None:
    rate = parse_rate(share, "--andel")
    names = parse_reviewers(reviewers) if reviewers is not None else None
    with Store.open(url) as store:
        identity.require_coordinator(store, "välja ärenden för dubbelgranskning")
        result = double_read(store, audit_id, rate, names, who=identity.current(store))
    if as_json:
        click.echo(json.dumps({
            "granskning": result.audit_id, "nya": result.n_new, "dubbelgranskade": result.n_total,
            "tilldelade_ärenden": result.n_cases,
            "andel": result.n_total / result.n_cases if result.n_cases else None,
            "andra_läsare": dict(result.loads),
        }, ensure_ascii=False))
        return
    share_text = procent(result.n_total / result.n_cases) if result.n_cases else "–"
    click.echo(f"Granskning {result.audit_id}: {antal(result.n_new, 'ny', 'nya')} andra "
               f"{'läsning' if result.n_new == 1 else 'läsningar'}; {result.n_total} av "
               f"{result.n_cases} tilldelade ärenden läses två gånger ({share_text}).")
    for name, n in result.loads:
        click.echo(f"  {name}: {antal(n, 'ärende')}")
    click.echo("De andra läsarna svarar med: granskning kontroll --granskning "
               f"{result.audit_id} --andra-lasning")


@click.command(name="jamfor", help=JAMFOR_HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--checklista", "checklist", metavar="FIL", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Checklistfilen, om den inte är en medföljande checklista.")
@db_option
@json_option("Skriv jämförelsen som JSON (nycklarna beskrivs i docs/dubbelgranskning.md).")
def jamfor(audit_id: int, checklist: Path | None, url: str | None, as_json: bool) -> None:
    with Store.open(url) as store:
        identity.require_coordinator(store, "jämföra dubbelgranskningens läsningar")
        opened = open_audit(store, audit_id, checklist)
        result = agreement(store, audit_id, opened.checklist)
    if as_json:
        click.echo(json.dumps(agreement_dict(result), ensure_ascii=False, allow_nan=False))
    else:
        click.echo(render_agreement(result))


@click.command(name="avgor", help=AVGOR_HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--arende", "case", required=True, metavar="ÄRENDE",
              help="Ärendet: pseudonymen (Ä-…), eller det verkliga id:t om du har nyckeln.")
@click.option("--fraga", "question", required=True, metavar="FRÅGA", help="Frågans id, t.ex. F7.")
@click.option("--svar", "answer", required=True, metavar="SVAR",
              help='Det avgjorda svaret, t.ex. Ja; "" för inget svar.')
@click.option("--checklista", "checklist", metavar="FIL", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Checklistfilen, om den inte är en medföljande checklista.")
@db_option
@json_option()
def avgor(audit_id: int, case: str, question: str, answer: str, checklist: Path | None,
          url: str | None, as_json: bool) -> None:
    with Store.open(url) as store:
        identity.require_coordinator(store, "avgöra skillnader i en dubbelgranskning")
        opened = open_audit(store, audit_id, checklist)
        case_id = find_case(store, audit_id, case)
        done = settle_answer(store, audit_id, opened.checklist, case_id, question, answer,
                             who=identity.current(store))
    if as_json:
        click.echo(json.dumps({"granskning": audit_id, **_disagreement(done)},
                              ensure_ascii=False))
        return
    click.echo(f"Avgjort: ärende {scrub(done.case_id)}, {done.question_id}: "
               f"{_shown(done.settled_value)} (första läsningen {_shown(done.first)}, "
               f"andra {_shown(done.second)}). Analysen använder det avgjorda svaret.")


# -- output ------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None:
        return "(inget svar)"
    if isinstance(value, list):
        return "; ".join(scrub(str(v)) for v in value)
    return scrub(str(value))


def _disagreement(d: Disagreement) -> dict:
    return {"ärende": scrub(d.case_id), "fråga": d.question_id, "första": d.first,
            "andra": d.second, "första_granskare": d.first_reader,
            "andra_granskare": d.second_reader, "avgjort": d.settled,
            "avgjort_svar": d.settled_value, "avgjort_av": d.settled_by}


def agreement_dict(a: Agreement) -> dict:
    """Return the ``--json`` object of ``granskning jamfor`` (keys in docs/status.md)."""
    questions = []
    for q in a.questions:
        k = q.kappa
        questions.append({
            "fråga": q.question_id, "par": q.n, "lika": q.agree,
            "andel_lika": q.agree / q.n if q.n else None, "bara_en_läsning": q.one_sided,
            "kappa": None if k is None else k.kappa, "kappa_se": None if k is None else k.se,
            "kappa_låg": None if q.interval is None else q.interval[0],
            "kappa_hög": None if q.interval is None else q.interval[1],
        })
    return {"granskning": a.audit_id, "jämförda_ärenden": a.n_pairs, "väntar": a.n_waiting,
            "konfidens": 0.95, "frågor": questions,
            "skillnader": [_disagreement(d) for d in a.disagreements],
            "oavgjorda": a.unsettled}


def _kappa_text(q: Any) -> str:
    k = q.kappa
    if k is None:
        return "–"
    if k.kappa is None:
        return "ej def."
    if q.interval is None:
        return f"{tal(k.kappa, 2)} (för få par)"
    return f"{tal(k.kappa, 2)} ({tal(q.interval[0], 2)} till {tal(q.interval[1], 2)})"


def render_agreement(a: Agreement) -> str:
    """Return the Swedish text of ``granskning jamfor``."""
    lines = [f"Granskning {a.audit_id}: dubbelgranskning, {antal(a.n_pairs, 'ärende')} "
             f"{'jämfört' if a.n_pairs == 1 else 'jämförda'} (båda läsningarna klara)"
             + (f", {a.n_waiting} väntar på en av läsningarna." if a.n_waiting else ".")]
    if not a.n_pairs:
        lines.append("Inget att jämföra ännu.")
        return "\n".join(lines)
    shown = [q for q in a.questions if q.n or q.one_sided]
    w = max(len("Fråga"), *(len(q.question_id) for q in shown)) if shown else len("Fråga")
    lines += ["", f"{'Fråga':<{w}}  {'Par':>4}  {'Lika':>4}  {'Andel lika':>10}  "
              f"{'Kappa (95 % KI)':<24}  Bara en läsning"]
    for q in shown:
        share = procent(q.agree / q.n) if q.n else "–"
        lines.append(f"{q.question_id:<{w}}  {q.n:>4}  {q.agree:>4}  {share:>10}  "
                     f"{_kappa_text(q):<24}  {q.one_sided:>15}".rstrip())
    lines += ["", "Kappa: Cohens kappa med 95 % konfidensintervall enligt Fleiss, Cohen och "
              f"Everitt (1969), visat från {MIN_PAIRS_FOR_INTERVAL} par; \"ej def.\" när båda "
              "läsningarna gav ett och samma svar på alla ärenden; \"–\" för frågor utan "
              "fasta svarsalternativ (bara andelen lika)."]
    lines.append("")
    if not a.disagreements:
        lines.append("Inga skillnader mellan läsningarna.")
        return "\n".join(lines)
    lines.append(f"Skillnader ({a.unsettled} oavgjorda av {len(a.disagreements)}):")
    for d in a.disagreements:
        status = (f"avgjort: {_shown(d.settled_value)} ({d.settled_by})" if d.settled
                  else "oavgjort")
        lines.append(f"  ärende {scrub(d.case_id)}, {d.question_id}: {d.first_reader or '?'} "
                     f"{_shown(d.first)}, {d.second_reader} {_shown(d.second)} – {status}")
    if a.unsettled:
        lines.append("Avgör med: granskning avgor --granskning "
                     f"{a.audit_id} --arende ÄRENDE --fraga FRÅGA --svar SVAR")
    return "\n".join(lines)
