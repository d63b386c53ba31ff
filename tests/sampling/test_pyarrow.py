"""pandas with pyarrow (pandas 3's default string storage): the draw path must not crash.

These tests need pyarrow; CI runs the whole suite also in an environment with it
(issue 9, item 18).  Without pyarrow the same code paths run in the other tests.
"""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

# make test-nyaste (and so CI) installs pyarrow and sets GRANSKNING_REQUIRE_PYARROW=1:
# there a missing pyarrow is a failure, not a skip.
if importlib.util.find_spec("pyarrow") is None:
    if os.environ.get("GRANSKNING_REQUIRE_PYARROW") == "1":
        pytest.fail("pyarrow saknas men GRANSKNING_REQUIRE_PYARROW=1 kräver det", pytrace=False)
    pytest.skip("pyarrow är inte installerat (make test-nyaste kör dessa tester)",
                allow_module_level=True)


def test_pandas_stores_text_with_pyarrow() -> None:
    # The environment these tests are for: pandas' string columns backed by Arrow.
    import pandas as pd

    s = pd.Series(["a", "b"], dtype="string[pyarrow]")
    assert s.dtype.storage == "pyarrow"


@pytest.mark.parametrize("reserves", ["0", "2"])
def test_urval_with_pyarrow_strings(tmp_path, reserves):
    from click.testing import CliRunner

    from granskning.cli import cli

    path = tmp_path / "ram.csv"
    path.write_text("id;stadsdel\n" + "".join(f"{i};{'AB'[i % 2]}\n" for i in range(20)), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["urval", str(path), "--id", "id", "--strata", "stadsdel", "--per-stratum", "3",
              "--seed", "1", "--reserv", reserves, "--json", "--ut", str(tmp_path / "u.xlsx")],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["n"] == 6 and [s["reserver"] for s in out["strata"]] == [int(reserves)] * 2
