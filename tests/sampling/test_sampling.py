"""The draw end to end: allocation, weights, reserves, exclusion, record and verification."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from granskning.errors import InputError
from granskning.sampling import design as sampling
from granskning.sampling import samplebook
from granskning.sampling.frame import read_frame

DISTRICTS = ["Bromma", "Farsta", "Järva", "Skärholmen"]


@pytest.fixture
def ram(tmp_path) -> Path:
    rng = np.random.default_rng(7)
    sizes = {"Bromma": 120, "Farsta": 15, "Järva": 300, "Skärholmen": 80}
    rows = ["arende_id;stadsdel;alder;handlaggare"]
    i = 0
    for d, n in sizes.items():
        for _ in range(n):
            i += 1
            rows.append(f"FB-{i:05d};{d};{rng.integers(0, 13)};H{rng.integers(1, 9)}")
    order = [rows[0]] + list(rng.permutation(rows[1:]))
    path = tmp_path / "ram.csv"
    path.write_bytes(("\r\n".join(order) + "\r\n").encode("cp1252"))
    return path


def draw(ram: Path, **kw) -> sampling.Sample:
    design = sampling.Design(
        id_column="arende_id", strata_column="stadsdel", seed=kw.pop("seed", 2024), **kw
    )
    frame = read_frame(ram, id_column="arende_id", strata_column="stadsdel", keep=design.keep)
    return sampling.draw_sample(frame, design, command=["test"])


def test_fixed_per_stratum_small_stratum_taken_whole(ram):
    s = draw(ram, per_stratum=26, reserves=3)
    alloc = s.allocation.set_index("stratum")
    assert alloc.loc["Farsta", "n"] == 15 and bool(alloc.loc["Farsta", "takes_all"])
    assert alloc.loc["Järva", "n"] == 26 and s.n == 26 * 3 + 15
    farsta = s.cases[s.cases["stadsdel"] == "Farsta"]
    assert (farsta["Inklusionssannolikhet"] == 1.0).all()
    jarva = s.cases[s.cases["stadsdel"] == "Järva"]
    assert jarva["Vikt"].iloc[0] == pytest.approx(300 / 26)
    assert jarva["Inklusionssannolikhet"].iloc[0] == pytest.approx(26 / 300)
    # Weights add up to the population size in every stratum (Horvitz–Thompson).
    assert s.cases.groupby("stadsdel")["Vikt"].sum().to_dict() == pytest.approx(
        {"Bromma": 120, "Farsta": 15, "Järva": 300, "Skärholmen": 80}
    )
    assert len(s.reserves[s.reserves["stadsdel"] == "Farsta"]) == 0
    assert s.reserves.groupby("stadsdel")["Reservordning"].apply(list).to_dict()["Järva"] == [1, 2, 3]


def test_reserves_are_the_next_cases_drawn(ram):
    small = draw(ram, per_stratum=10, reserves=4)
    big = draw(ram, per_stratum=14)
    for d in DISTRICTS:
        a = small.cases[small.cases.stadsdel == d]["arende_id"].tolist()
        r = small.reserves[small.reserves.stadsdel == d]["arende_id"].tolist()
        b = big.cases[big.cases.stadsdel == d]["arende_id"].tolist()
        assert a + r == b[: len(a) + len(r)]


def test_total_with_proportional_allocation_adds_up(ram):
    s = draw(ram, total=100, method="proportionell")
    assert s.n == 100
    assert s.allocation["n"].sum() == 100


def test_extension_keeps_earlier_sample(ram):
    a = draw(ram, per_stratum=5)
    b = draw(ram, per_stratum=8)
    assert set(a.cases["arende_id"]) <= set(b.cases["arende_id"])


def test_exclusion_of_earlier_sample(ram, tmp_path):
    first = draw(ram, per_stratum=10)
    samplebook.write_sample(first, tmp_path / "forra.xlsx")
    ids, source = sampling.read_exclusions(tmp_path / "forra.xlsx", "arende_id")
    assert sorted(ids) == sorted(first.cases["arende_id"])
    assert source["fil"] == "forra.xlsx"
    frame = read_frame(ram, id_column="arende_id", strata_column="stadsdel", exclude_ids=ids)
    design = sampling.Design(id_column="arende_id", strata_column="stadsdel", seed=2024, per_stratum=10)
    second = sampling.draw_sample(frame, design, excluded_ids=ids, exclusion_source=source)
    assert not set(second.cases["arende_id"]) & set(ids)
    assert second.record["uteslutna"]["antal"] == len(ids)


def test_workbook_sheets_and_record(ram, tmp_path):
    s = draw(ram, per_stratum=26, reserves=2, keep=("handlaggare",))
    out = tmp_path / "urval.xlsx"
    samplebook.write_sample(s, out)
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert wb.sheetnames == ["Urval", "Reserver", "Urvalsprotokoll"]
    header = [c.value for c in wb["Urval"][1]]
    assert header == ["arende_id", "stadsdel", "Dragordning", "Inklusionssannolikhet", "Vikt", "handlaggare"]
    labels = {r[0].value: r[1].value for r in wb["Urvalsprotokoll"].iter_rows() if r[0].value}
    assert labels["Ramfil"] == "ram.csv"
    assert len(labels["Ramfilens SHA-256"]) == 64
    assert labels["Seed"] == "2024"
    assert labels["Rader lästa"] == 515
    rec = sampling.read_record(out)
    assert rec["algoritm"] == "granskning-siphash-v1"
    assert [x["n"] for x in rec["strata"]] == [26, 15, 26, 26]
    assert wb["Urval"].oddHeader.center.text == samplebook.SECRECY


def test_verify_identical_and_changed_frame(ram, tmp_path):
    s = draw(ram, per_stratum=20, reserves=2)
    out = tmp_path / "urval.xlsx"
    samplebook.write_sample(s, out)
    v = sampling.verify(out, ram)
    assert v.identical and v.frame_unchanged and not v.differences
    # The same cases in another row order and encoding: the draw is the same
    # but the file is not, and verification says exactly that.
    text = ram.read_bytes().decode("cp1252").splitlines()
    other = tmp_path / "ram2.csv"
    other.write_text("\n".join([text[0]] + text[1:][::-1]) + "\n", encoding="utf-8")
    v2 = sampling.verify(out, other)
    assert not v2.identical and not v2.frame_unchanged
    assert len(v2.differences) == 1 and "SHA-256" in v2.differences[0]
    # Remove a drawn case from the frame: verification names what differs.
    drawn = s.cases["arende_id"].iloc[0]
    third = tmp_path / "ram3.csv"
    third.write_text("\n".join(line for line in text if not line.startswith(drawn + ";")) + "\n", encoding="utf-8")
    v3 = sampling.verify(out, third)
    assert not v3.identical
    joined = "\n".join(v3.differences)
    assert "Rader lästa: 515 i protokollet, 514 nu." in joined
    assert f"ärende {drawn} finns i filen men dras inte nu" in joined


def test_verify_json_and_csv_outputs(ram, tmp_path):
    s = draw(ram, per_stratum=5, reserves=1)
    samplebook.write_sample(s, tmp_path / "u.json")
    assert sampling.verify(tmp_path / "u.json", ram).identical
    samplebook.write_sample(s, tmp_path / "u.csv")
    table = pd.read_csv(tmp_path / "u.csv", sep=";", dtype=str, encoding="utf-8-sig")
    assert (table["Typ"] == "urval").sum() == s.n and (table["Typ"] == "reserv").sum() == len(s.reserves)
    rec = json.loads((tmp_path / "u.protokoll.json").read_text(encoding="utf-8"))["urvalsprotokoll"]
    assert sampling.verify(tmp_path / "u.csv", ram).identical
    assert rec["n_totalt"] == s.n


def test_design_validation():
    with pytest.raises(InputError, match="antingen --per-stratum eller --totalt"):
        sampling.Design(id_column="a", strata_column=None, seed=1)
    with pytest.raises(InputError, match="minst 1"):
        sampling.Design(id_column="a", strata_column=None, seed=1, per_stratum=0)


def test_unknown_output_format_refused_before_writing(tmp_path):
    with pytest.raises(InputError, match="okänt filformat"):
        samplebook.output_format(tmp_path / "urval.docx")


def test_read_record_of_foreign_workbook(tmp_path):
    from openpyxl import Workbook

    Workbook().save(tmp_path / "annan.xlsx")
    with pytest.raises(InputError, match="hittar inget urvalsprotokoll"):
        sampling.read_record(tmp_path / "annan.xlsx")


def test_json_sample_keeps_missing_values_empty(ram, tmp_path):
    s = draw(ram, per_stratum=3, keep=("handlaggare",))
    s.cases.loc[0, "handlaggare"] = None
    samplebook.write_sample(s, tmp_path / "u.json")
    _rec, cases, _res, _exc = sampling.stored_sample(tmp_path / "u.json")
    assert cases["handlaggare"].iloc[0] == ""
    assert cases["Dragordning"].iloc[0] == "1"
