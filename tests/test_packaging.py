"""What a wheel carries: every bundled file, and no code that reads beside the package."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "granskning"


def _package_data() -> list[str]:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return conf["tool"]["setuptools"]["package-data"]["granskning"]


def test_every_bundled_file_is_declared_as_package_data() -> None:
    patterns = _package_data()
    files = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "data").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) >= 13  # 6 checklists, 3 protocols, 3 report texts, the example export
    missing = [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert missing == [], f"add these to [tool.setuptools.package-data]: {missing}"


def test_no_module_reads_files_beside_the_package() -> None:
    # Checklists, protocols and report texts once lived in the repository root, which a
    # wheel does not carry; the package must only read granskning/data.
    beside = re.compile(r"parent\.parent|\.\./")
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
                 if beside.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_build_requires_a_setuptools_that_understands_the_license_string() -> None:
    # license = "MIT" (PEP 639) needs setuptools >= 77; an older one fails on metadata
    # when building without isolation (scripts/wheel_check.sh builds with 77 itself).
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (req,) = [r for r in conf["build-system"]["requires"] if r.startswith("setuptools")]
    low = tuple(int(x) for x in re.search(r">=\s*([\d.]+)", req).group(1).split("."))
    assert low >= (77,)
    assert isinstance(conf["project"]["license"], str)
