"""`granskning --help` and every subcommand's help start without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

from granskning.cli import COMMANDS

HEAVY = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "reportlab", "sqlalchemy", "openpyxl")

PROBE = """
import sys
from granskning.cli import main
argv = sys.argv[1:]
try:
    main(argv)
finally:
    heavy = [m for m in {heavy!r} if m in sys.modules]
    sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
"""


def _all_commands() -> list[tuple[str, ...]]:
    """Every command path: top-level commands and the subcommands of groups."""
    import click

    from granskning.cli import cli

    paths: list[tuple[str, ...]] = [()]
    ctx = click.Context(cli)
    for name in sorted(COMMANDS):
        paths.append((name,))
        try:
            cmd = cli.get_command(ctx, name)
        except ImportError:  # reported by the test itself
            continue
        if isinstance(cmd, click.Group):
            paths.extend((name, sub) for sub in sorted(cmd.list_commands(ctx)))
    return paths


@pytest.mark.parametrize("command", _all_commands(), ids=lambda p: " ".join(p) or "granskning")
def test_help_imports_no_heavy_library(command):
    argv = [*command, "--help"]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Användning:" in proc.stdout
    heavy = proc.stderr.strip().splitlines()[-1]
    assert heavy == "HEAVY=", f"{argv}: {heavy}"
