"""Swedish number formatting."""

from __future__ import annotations

import math

import pytest

from granskning.fmt import heltal, procent, procentenheter, tal


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0.25, 1, "0,3"),
        (1234.5, 1, "1 234,5"),
        (2_000_000, 0, "2 000 000"),
        (6.25, 1, "6,3"),  # half away from zero, as a reader rounds (not banker's rounding)
        (6.35, 1, "6,4"),  # 6.35 is 6.3499999… in binary; the written number is 6,35
        (-2.5, 0, "−3"),
        (28.5, 0, "29"),
        (0.0, 1, "0,0"),
    ],
)
def test_tal(value, decimals, text):
    assert tal(value, decimals) == text


def test_percent_and_points():
    assert procent(52 / 208) == "25,0 %"
    assert procent(1 / 16) == "6,3 %"  # 6,25 % rounded half up
    assert procentenheter(0.05795) == "5,8 procentenheter"
    assert procent(math.nan) == "–"
    assert heltal(3272) == "3 272"
