"""Tests for granskning.analysis.charts: the figures carry the numbers they are given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from granskning.analysis.charts import (
    funnel_figure,
    funnel_plot,
    gender_figure,
    gender_plot,
    stacked_bars,
    stacked_bars_figure,
)
from granskning.analysis.funnel import funnel
from granskning.analysis.gender import analyse
from granskning.analysis.tables import crosstab_shares
from granskning.errors import InputError

# DOMAIN.md §2.3 (SEED-004 Table 3), rebuilt as cases.
TABLE_3 = {"Ja": [11, 7, 10], "Nej": [1, 5, 2]}
UNITS = ["Hässelby - Vällingby", "Kungsholmen", "Skarpnäck"]


@pytest.fixture()
def shares() -> pd.DataFrame:
    rows = [(u, cat) for cat, counts in TABLE_3.items() for u, k in zip(UNITS, counts, strict=True)
            for _ in range(k)]
    df = pd.DataFrame(rows, columns=["enhet", "Finns en färdigställd genomförandeplan?"])
    return crosstab_shares(df, "Finns en färdigställd genomförandeplan?", "enhet", categories=["Ja", "Nej"],
                           total_label="Totalt")


def test_stacked_bars_heights_are_the_shares(shares):
    fig = stacked_bars_figure(shares, total_label="Totalt")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    # First the "Ja" segments for the three units and Totalt, then "Nej".
    assert heights[:4] == pytest.approx([11 / 12, 7 / 12, 10 / 12, 28 / 36])
    assert heights[4:] == pytest.approx([1 / 12, 5 / 12, 2 / 12, 8 / 36])
    assert [t.get_text() for t in ax.get_xticklabels()] == UNITS + ["Totalt"]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "40 %" in ticks and "100 %" in ticks


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_files_are_written_in_the_requested_format(tmp_path, shares, suffix, magic):
    path = stacked_bars(shares, tmp_path / f"plan{suffix}", title="Genomförandeplan", total_label="Totalt")
    assert path.read_bytes()[:5].startswith(magic)


def test_svg_keeps_swedish_text_searchable(tmp_path, shares):
    path = stacked_bars(shares, tmp_path / "plan.svg", title="Färdigställd plan", total_label="Totalt")
    text = path.read_text(encoding="utf-8")
    assert "Färdigställd plan" in text and "Hässelby - Vällingby" in text


def test_funnel_plot_marks_the_strata_and_limits(tmp_path):
    districts = ["Bromma", "Järva", "Skärholmen", "Södermalm"]
    f = funnel([4, 8, 10, 5], [19, 20, 19, 11], districts, centre=0.25)
    fig = funnel_figure(f, title="Barnet har kommit till tals")
    ax = fig.axes[0]
    offsets = ax.collections[0].get_offsets()
    assert np.allclose(offsets[:, 1], [4 / 19, 8 / 20, 10 / 19, 5 / 11])
    assert {t.get_text() for t in ax.texts} == set(districts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["95 %-gräns", "99,8 %-gräns", "Genomsnitt 25,0 %"]
    assert funnel_plot(f, tmp_path / "tratt.png").stat().st_size > 1000


def test_gender_plot_has_girls_and_boys_with_intervals(tmp_path):
    df = pd.DataFrame({"kon": ["flicka"] * 48 + ["pojke"] * 50, "alder": [6] * 98,
                       "svar": ["Ja"] * 12 + ["Nej"] * 36 + ["Ja"] * 9 + ["Nej"] * 41})
    r = analyse(df, "svar", positive=["Ja"], sex="kon", age="alder")
    fig = gender_figure({"Barnet kom till tals": r})
    ax = fig.axes[0]
    # One errorbar container per sex: the data line holds the rate, the bars the interval.
    rates = sorted(float(c.lines[0].get_xdata()[0]) for c in ax.containers)
    assert rates == pytest.approx([0.18, 0.25])
    segments = ax.containers[0].lines[2][0].get_segments()  # girls come first
    assert segments[0][0][0] == pytest.approx(r.girls.low) and segments[0][1][0] == pytest.approx(r.girls.high)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Flickor", "Pojkar"]
    assert gender_plot({"Barnet kom till tals": r}, tmp_path / "kon.svg").exists()


def test_unknown_format_is_an_input_error(tmp_path, shares):
    with pytest.raises(InputError, match="bildformat"):
        stacked_bars(shares, tmp_path / "plan.jpg", total_label="Totalt")


def test_charts_need_neither_pyplot_nor_a_display(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd\n"
        "from granskning.analysis.charts import stacked_bars\n"
        "s = pd.DataFrame({'A': [0.5, 0.5]}, index=['Ja', 'Nej'])\n"
        f"stacked_bars(s, {str(tmp_path / 'x.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "MPLBACKEND": ""})
    assert out.stdout.strip() == "False"
    assert (tmp_path / "x.png").exists()
