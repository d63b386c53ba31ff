"""Options that several commands share: ``--db``, ``--granskning``, ``--json``, ``--granskare``
and an audit's ``--checklista``.

Written once here so that every command spells them, names their parameters and explains
the database the same way::

    @click.command()
    @audit_option()
    @db_option
    @json_option()
    def command(audit_id: int, url: str | None, as_json: bool) -> None: ...

Only click is imported: ``granskning --help`` stays light (``tests/test_startup.py``).
"""

from __future__ import annotations

from pathlib import Path

import click

DB_HELP = (
    "Databas: en filväg, sqlite:///fil.db eller postgresql://användare@värd/databas "
    "(standard: miljövariabeln GRANSKNING_DB, annars granskning.db i aktuell katalog)."
)

#: ``--db URL`` -> parameter ``url`` (None: GRANSKNING_DB, else granskning.db).
db_option = click.option("--db", "url", metavar="URL", default=None, help=DB_HELP)


def audit_option(help: str = "Granskningens id.", *, required: bool = True):
    """``--granskning ID`` -> parameter ``audit_id`` (an int), required unless told otherwise."""
    return click.option(
        "--granskning", "audit_id", type=int, required=required, metavar="ID", help=help
    )


def json_option(help: str = "Skriv resultatet som JSON."):
    """``--json`` -> parameter ``as_json`` (a flag): write the result as JSON on stdout."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def reviewer_option(help: str, param: str = "reviewer"):
    """``--granskare NAMN`` -> parameter ``reviewer`` (None when not given).

    Names are matched ignoring case and extra spaces wherever they are looked up
    (:func:`granskning.store.records.same_name`).
    """
    return click.option("--granskare", param, metavar="NAMN", default=None, help=help)


def reviewers_option(help: str, *, required: bool = False):
    """``--granskare NAMN,NAMN,…`` -> parameter ``reviewers`` (the comma-separated text)."""
    return click.option("--granskare", "reviewers", metavar="NAMN,NAMN,…", default=None,
                        required=required, help=help)


def audit_checklist_option(help: str = "Checklistfilen, om den inte är en medföljande checklista."):
    """``--checklista FIL`` -> parameter ``checklist``: the file of an audit's own checklist when
    it is not a bundled one (the audit's version wins, :mod:`granskning.audit.checklists`)."""
    return click.option("--checklista", "checklist", metavar="FIL", default=None,
                        type=click.Path(dir_okay=False, path_type=Path), help=help)
