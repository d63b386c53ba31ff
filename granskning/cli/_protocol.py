"""``granskning ny PROTOKOLL --ram RAM``: create an audit and draw its sample from a protocol."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from granskning.audit import protocol_run, pseudonym
from granskning.audit.protocol import check_against_checklist, load
from granskning.audit.protocol_run import show_fingerprint
from granskning.errors import InputError
from granskning.sampling.samplebook import output_format, summary_text, write_sample
from granskning.sampling.timelimits import sentence_of
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal


def ny_from_protocol(
    protocol: str,
    frame_path: Path | None,
    *,
    given: list[str],
    check_only: bool,
    reference: dt.date | None,
    url: str | None,
    as_json: bool,
    key_path: Path | None = None,
    sample_out: Path | None = None,
    plan_run: tuple[str, str] | None = None,
) -> None:
    """Draw the protocol's sample from the frame and (unless ``check_only``) store the audit.

    With ``sample_out`` the sample workbook (real ids; the coordinator's list) is written too.
    """
    if frame_path is None:
        raise InputError("ange ramen med --ram RAM (ärendeförteckningen urvalet dras ur).")
    if given:
        raise InputError("med ett protokoll styrs " + ", ".join(given)
                         + " av protokollet; ta bort flaggorna eller ändra protokollet.")

    proto = load(protocol)
    check_against_checklist(proto)
    if sample_out is not None:
        output_format(sample_out)  # refuse an unknown format before any work
    if check_only:
        result = protocol_run.draw(proto, frame_path)
        protocol_run.case_rows(result, reference_date=reference)  # the cases' checks, nothing stored
        audit_id = None
    else:
        with Store.open(url) as store, pseudonym.key_for_new_cases(key_path) as key:
            store.init()
            identity.require_coordinator(store, "skapa granskningar")
            audit_id, result = protocol_run.create_from_protocol(
                store, proto, frame_path, reference_date=reference,
                created_by=identity.current(store), key=key, plan_run=plan_run)
    sample = result.sample
    if sample_out is not None:
        write_sample(sample, sample_out)
    if as_json:
        out = {
            "granskning": audit_id,
            "titel": proto.title,
            "slag": proto.kind,
            "ärenden": sample.n,
            "reserver": len(sample.reserves),
            "checklista": proto.checklist,
            "fingeravtryck": result.fingerprint,
            "arendedata": list(result.case_data.columns),
            "aldersdatum": result.case_data.age_date,
            "urvalsarbetsbok": str(sample_out) if sample_out is not None else None,
            "strata": [{"stratum": s["stratum"], "N": s["N"], "n": s["n"]} for s in sample.record["strata"]],
        }
        if result.controls:
            out["kontroller"] = {k: {"n": v.n, "tillatna_avvikelser": v.allowed_deviations}
                                 for k, v in result.controls.items()}
        if sample.record.get("tidsgranser"):
            out["tidsgranser"] = sample.record["tidsgranser"]
        click.echo(json.dumps(out, ensure_ascii=False))
        return

    click.echo(summary_text(sample))
    for limit in sample.record.get("tidsgranser", []):
        click.echo(f"Registret ({limit.get('namn') or 'tidsgräns'}): {sentence_of(limit)}")
    for c in proto.controls:
        plan = result.controls[c.id]
        click.echo(f"Kontroll {c.id} ({c.title}): {antal(plan.n, 'akt')}, högst {plan.allowed_deviations} "
                   "avvikelser för att kontrollen ska visas fungera.")
    click.echo(f"Urvalets fingeravtryck: {show_fingerprint(result.fingerprint)} "
               f"(SHA-256 {result.fingerprint})")
    if sample_out is not None:
        click.echo(f"Urvalsarbetsboken (samordnarens lista, sekretess enligt OSL 26 kap.): {sample_out}")
    if audit_id is None:
        click.echo("Inget sparades (--kontrollera-urval).")
        return
    click.echo(f"Granskning {audit_id} skapad: {antal(sample.n, 'ärende')} och {antal(len(sample.reserves), 'reserv')}, "
               f"checklista {proto.checklist}.")
    click.echo(f"Nästa steg: granskning tilldela --granskning {audit_id} --granskare NAMN,NAMN")
