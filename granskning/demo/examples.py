"""The example files a new user starts from: a frame to sample and an analysis text.

``granskning exempel`` writes them into a directory so that the chain in
README.md can be typed as it stands in an empty directory:

* ``ram.csv`` – the bundled synthetic export of preliminary assessments
  (förhandsbedömningar 2023–2024, 11 districts; no real person in it), the
  frame ``granskning ny forhandsbedomningar-2024 --ram ram.csv`` draws from;
* ``analys.md`` – the inspectors' own analysis for the report
  (``granskning rapport --analys-text analys.md``): Markdown, one heading per
  quality area, taken into the report as written.  The example is the one
  ``granskning demo`` uses.

An existing file is never overwritten.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from granskning.demo.exempel import export_path
from granskning.errors import InputError
from granskning.files import atomic_write_many, make_directory
from granskning.resources import ROOT

__all__ = ["EXAMPLES", "write_examples"]

ANALYSIS = ROOT / "reports" / "exempel-analys-forhandsbedomningar.md"
EXAMPLES = {"ram.csv": export_path(), "analys.md": ANALYSIS}


def write_examples(directory: str | Path = ".") -> list[Path]:
    """Write ``ram.csv`` and ``analys.md`` into ``directory``; return their paths.

    Both or neither: if either file exists, nothing is written (InputError, exit 2).
    """
    folder = make_directory(directory)
    targets = [(folder / name, source) for name, source in EXAMPLES.items()]
    there = [path for path, _source in targets if path.exists()]
    if there:
        raise InputError(
            f"{there[0]} finns redan och skrivs inte över; ta bort den eller välj en annan "
            "katalog med --ut KATALOG.")

    def copier(source: Path):
        return lambda tmp: shutil.copyfile(source, tmp)

    atomic_write_many([(path, copier(source)) for path, source in targets])
    return [path for path, _source in targets]
