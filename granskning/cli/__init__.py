"""Command-line interface: a thin layer over the library.

Subcommands live in their own modules and are imported only when used, so
``granskning --help`` starts without pandas, scipy or statsmodels.  Each
command parses its options, calls one library function and turns a
:class:`~granskning.errors.GranskningError` into a Swedish message and exit code.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from granskning import __version__
from granskning.cli import _sv
from granskning.errors import GranskningError, hide_personnummer

_sv.install()

# name -> (module, attribute, short help).  The short help is repeated here so
# that the top-level help lists every command without importing any of them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "felmarginal": ("granskning.cli.precision", "felmarginal", "Felmarginal för ett urval av given storlek."),
    "storlek": ("granskning.cli.precision", "storlek", "Minsta urvalsstorlek för en önskad felmarginal."),
    "stickprov": ("granskning.cli.precision", "stickprov", "Stickprovsstorlek och utvärdering för internkontroll (attributurval)."),
    "urval": ("granskning.cli.urval", "urval", "Dra ett stratifierat slumpmässigt urval ur en ärendeförteckning."),
    "demo": ("granskning.cli.demo", "demo", "Kör huvudjobbet på medföljande exempeldata."),
    "exempel": ("granskning.cli.exempel", "exempel", "Skriv exempelfilerna ram.csv och analys.md (för kedjan i README)."),
    "checklista": ("granskning.cli.checklista", "checklista", "Validera och visa checklistor."),
    "skatta": ("granskning.cli.skatta", "skatta", "Skatta medelvärde, total eller andel ur ett stratifierat urval."),
    "db": ("granskning.cli.db", "db", "Skapa, migrera och visa databasen (init, migrera, status, anvandare)."),
    "tilldela": ("granskning.cli.tilldela", "tilldela", "Fördela urvalets ärenden mellan granskare."),
    "ny": ("granskning.cli.ny", "ny", "Skapa en granskning av ett urval med en checklista."),
    "kontroll": ("granskning.cli.kontroll", "kontroll", "Svara på checklistan ärende för ärende (interaktivt)."),
    "svar": ("granskning.cli.svar", "svar", "Exportera och importera svar i en Excel-mall."),
    "analys": ("granskning.cli.analys", "analys", "Tabeller, indikatorer, tester och jämställdhetsanalys av svaren."),
    "historik": ("granskning.cli.historik", "historik", "Visa vem som ändrade vad och när i en granskning."),
    "status": ("granskning.cli.status", "status", "Hur långt granskningen har kommit: klara, påbörjade och orörda ärenden."),
    "dubbelgranska": ("granskning.cli.dubbel", "dubbelgranska", "Låt en andel av ärendena läsas en andra gång av en annan granskare."),
    "jamfor": ("granskning.cli.dubbel", "jamfor", "Jämför dubbelgranskningens läsningar: kappa, andel lika, skillnader."),
    "avgor": ("granskning.cli.dubbel", "avgor", "Avgör en skillnad mellan dubbelgranskningens två läsningar."),
    "utoka": ("granskning.cli.utoka", "utoka", "Lägg till ärenden i en pågående granskning (ur reserverna eller en lista)."),
    "utanfor": ("granskning.cli.utanfor", "utanfor", "Markera ett ärende som utanför granskningen och ta in nästa reserv."),
    "lista": ("granskning.cli.lista", "lista", "Samordnarens lista: pseudonym och verkligt ärende-id (sekretess)."),
    "tidsgrans": ("granskning.cli.tidsgrans", "tidsgrans", "Andel ärenden i registret inom en tidsgräns (t.ex. 14 dagar), totalt och per stratum."),
    "avvikelse": ("granskning.cli.avvikelse", "avvikelse", "Logg över avvikelser, lex Sarah, klagomål och beröm; antal per period och kategori."),
    "plan": ("granskning.cli.plan", "plan", "Kontrollera en internkontrollplan; årets kalender, försenade kontroller och riskmatrisen."),
    "rapport": ("granskning.cli.rapport", "rapport", "Skriv granskningsrapporten (PDF) eller internkontrollens sammanställning, med tabeller (XLSX)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(super().list_commands(ctx)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, attr, _help = COMMANDS[cmd_name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context):  # type: ignore[override]

        try:
            return super().invoke(ctx)
        except GranskningError as exc:
            click.echo(f"Fel: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except click.ClickException as exc:  # "'ÅÅÅÅMMDD-NNNN' är inget giltigt heltal"

            exc.message = hide_personnummer(exc.message)
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        if rows:
            with formatter.section(_sv._("Commands")):
                formatter.write_dl(rows)


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    cls=LazyGroup,
    context_settings=CONTEXT,
    options_metavar="[FLAGGOR]",
    subcommand_metavar="KOMMANDO [ARGUMENT]...",
)
@click.version_option(__version__, "--version", prog_name="granskning")
def cli() -> None:
    """granskning: urval, checklistor, analys och rapporter för granskning och
    internkontroll inom socialtjänsten.

    Skriv "granskning KOMMANDO --help" för hjälp om ett kommando.
    """


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; never show a traceback to a user."""
    try:
        rv = cli.main(args=argv, prog_name="granskning", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Avbrutet.", err=True)
        return 130
    except click.ClickException as exc:
        exc.message = hide_personnummer(exc.message)  # "Invalid value: 'ÅÅÅÅMMDD-NNNN'"
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("\nAvbrutet.", err=True)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        if os.environ.get("GRANSKNING_DEBUG"):
            raise

        click.echo(
            f"Oväntat fel ({type(exc).__name__}): {hide_personnummer(str(exc))}\n"
            "Kör igen med miljövariabeln GRANSKNING_DEBUG=1 för detaljer.",
            err=True,
        )
        return 1
    return rv if isinstance(rv, int) else 0


def run() -> None:  # pragma: no cover - console entry point
    sys.exit(main())
