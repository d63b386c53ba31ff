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


@pytest.mark.parametrize("command", [None, *sorted(COMMANDS)])
def test_help_imports_no_heavy_library(command):
    argv = ([command] if command else []) + ["--help"]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Användning:" in proc.stdout
    heavy = proc.stderr.strip().splitlines()[-1]
    assert heavy == "HEAVY=", f"{argv}: {heavy}"
