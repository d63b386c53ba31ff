"""Tests for granskning.analysis.inputs: population files, answer tables and audits in the database."""

from __future__ import annotations

import pytest
from analysis_data import DISTRICTS, TABLE_2_RATES, a1_cases

from granskning.analysis.inputs import (
    analyse_table,
    population_from_record,
    read_population_file,
)
from granskning.audit.opened import analyse_audit
from granskning.errors import InputError, ManyInputErrors


def write(tmp_path, text: str, name: str = "N.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_population_file_by_strata_name_or_stratum(tmp_path):
    assert read_population_file(write(tmp_path, "stadsdel;N\nBromma;310\nFarsta;1 200\n"), "stadsdel") == {
        "Bromma": 310.0, "Farsta": 1200.0}
    assert read_population_file(write(tmp_path, "Stratum,population\nA,5\n"), "enhet") == {"A": 5.0}


def test_population_file_problems_name_rows(tmp_path):
    with pytest.raises(ManyInputErrors) as info:
        read_population_file(write(tmp_path, "stratum,N\nA,5\nA,6\nB,2.5\n,3\n"), "enhet")
    messages = [e.message for e in info.value.errors]
    assert messages == ['N.csv, rad 3, kolumn "stratum": stratumet "A" står två gånger.',
                        'N.csv, rad 4, kolumn "N": populationsstorleken ska vara ett heltal, minst 1.',
                        'N.csv, rad 5, kolumn "stratum": stratum saknas.']
    with pytest.raises(InputError, match='saknar kolumnen "N"'):
        read_population_file(write(tmp_path, "stratum,storlek\nA,5\n"), "enhet")


def test_population_from_record():
    assert population_from_record({"strata": [{"stratum": "A", "N": 10, "n": 2}]}) == {"A": 10.0}
    assert population_from_record({}) is None and population_from_record(None) is None
    assert population_from_record({"strata": [{"stratum": "A"}]}) is None


def test_analyse_table_with_population_file(tmp_path):
    data = tmp_path / "svar.xlsx"
    a1_cases().to_excel(data, index=False)
    pop = write(tmp_path, "stadsdel,N\n" + "".join(f"{d},400\n" for d in DISTRICTS))
    a = analyse_table(data, "forhandsbedomning-0-12", strata="stadsdel", population_file=pop)
    # Equal N_h and n_h: the design-based rate equals 52/208 (DOMAIN.md §2.2).
    assert a.indicators["F7"].result.estimate.estimate == pytest.approx(0.25)
    assert a.origin == "svar.xlsx"
    with pytest.raises(InputError, match="inte båda"):
        analyse_table(data, "forhandsbedomning-0-12", strata="stadsdel", population_file=pop,
                      population="stadsdel")


def test_audit_with_missing_sex_and_record(store):
    audit_id = store.create_audit("Utan kön", "granskning", "forhandsbedomning-0-12", None, None, None,
                                  None, "test")
    df = a1_cases()
    store.add_cases(audit_id, [{"case_id": c, "stratum": s} for c, s in zip(df.case_id, df.stadsdel,
                                                                             strict=True)])
    store.set_answers(audit_id, [(c, "F7", v) for c, v in zip(df.case_id, df.F7, strict=True)], who="t")
    a = analyse_audit(store, audit_id)
    assert (a.indicators["F7"].result.overall.count, a.indicators["F7"].result.overall.nobs) == (52, 208)
    assert a.indicators["F7"].result.per_stratum["Södermalm"].nobs == TABLE_2_RATES["Södermalm"][1]
    assert a.indicators["F7"].result.estimate is None and a.indicators["F7"].result.gender is None
    assert any("saknar populationsstorlekar" in w for w in a.warnings)
    assert any("ingen jämställdhetsanalys" in w for w in a.warnings)
    assert not any('"sex"' in w or '"age"' in w for w in a.warnings)  # the store's columns, not questions
    with pytest.raises(InputError, match='använder checklistan "forhandsbedomning-0-12"'):
        analyse_audit(store, audit_id, checklist="oppenvard-0-12")
