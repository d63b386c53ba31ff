"""Options that several commands share: ``--db``, ``--granskning`` and ``--json``.

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
