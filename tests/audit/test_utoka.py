"""``granskning utoka``: cases added to a running audit, drawn from the reserves or listed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.analysis.nonrandom import NO_CLAIM
from granskning.audit import pseudonym
from granskning.cli import cli
from granskning.store import trail
from granskning.store.database import Store

SIZES = {"Bromma": 40, "Farsta": 60}


def _run(db_url, *args):
    return CliRunner().invoke(cli, [*args, "--db", db_url])


def _frame(tmp_path):
    frame = tmp_path / "ram.csv"
    rows = ["arende_id;stadsdel"] + [
        f"{s[0]}{i};{s}" for s, n in SIZES.items() for i in range(1, n + 1)]
    frame.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return frame


def _draw(tmp_path, per_stratum, reserves, name):
    out = tmp_path / name
    r = CliRunner().invoke(cli, ["urval", str(_frame(tmp_path)), "--id", "arende_id", "--strata",
                                 "stadsdel", "--per-stratum", str(per_stratum), "--reserv",
                                 str(reserves), "--seed", "7", "--ut", str(out)])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture
def audit(tmp_path, db_url):
    sample = _draw(tmp_path, 6, 3, "urval.xlsx")
    for args in (["db", "init"],
                 ["ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
                  "--titel", "T"],
                 ["tilldela", "--granskning", "1", "--granskare", "anna,bo"]):
        r = _run(db_url, *args)
        assert r.exit_code == 0, r.output
    return sample


def _drawn(store):
    return [c for c in store.cases(1) if not c.reserve]


def test_drawn_addition_is_the_larger_draw_with_the_same_seed(audit, tmp_path, db_url):
    r = _run(db_url, "utoka", "--granskning", "1", "--antal", "2", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["n_per_stratum"] == {"Bromma": 8, "Farsta": 8} and doc["slumpmassigt_urval"] is True
    # A fresh draw of 8 per stratum with the same seed takes exactly these cases.
    bigger = _draw(tmp_path, 8, 0, "stort.xlsx")
    r = _run(db_url, "lista", "--granskning", "1", "--urval", str(audit), "--json")
    in_audit = {e["ärende_id"] for e in json.loads(r.stdout)["ärenden"] if not e["reserv"]}
    from granskning.sampling.design import stored_sample

    _record, cases, _reserves, _excluded = stored_sample(bigger)
    assert in_audit == set(cases["arende_id"])
    with Store.open(db_url) as store:
        drawn = _drawn(store)
        assert len(drawn) == 16
        # Design weights N_h/n_h and inclusion probabilities n_h/N_h with the new n_h = 8.
        for c in drawn:
            assert c.design_weight == pytest.approx(SIZES[c.stratum] / 8)
            assert c.inclusion_probability == pytest.approx(8 / SIZES[c.stratum])
        record = store.audit(1).sample_record
        assert {s["stratum"]: s["n"] for s in record["strata"]} == {"Bromma": 8, "Farsta": 8}
        assert record["n_totalt"] == 16 and record["utokningar"][0]["antal"] == {"Bromma": 2, "Farsta": 2}
        assert sum(c.reserve for c in store.cases(1)) == 2
        frame = trail.history(store, 1)
    # Every change has the tool's own trail row (the database found nothing undescribed).
    assert (frame["tool_version"] != "utanför granskning").all()
    assert (frame["what"] == "granskning").sum() == 2  # created, then the record extended
    r = _run(db_url, "tilldela", "--granskning", "1", "--granskare", "anna,bo")
    assert r.exit_code == 0 and "4 ärenden tilldelade" in r.stdout


def test_drawn_addition_in_one_stratum_and_too_few_reserves(audit, db_url):
    r = _run(db_url, "utoka", "--granskning", "1", "--antal", "1", "--stratum", "Farsta")
    assert r.exit_code == 0, r.output
    assert "Farsta 1 (nu n = 7 av N = 60)" in r.stdout
    with Store.open(db_url) as store:
        counts = store.table_counts()
        weights = {c.case_id: c.design_weight for c in _drawn(store)}
    assert sorted(set(round(w, 6) for w in weights.values())) == [round(40 / 6, 6), round(60 / 7, 6)]
    for args, text in ((["--antal", "3", "--stratum", "Farsta"], "har 2 oanvända reserver, men 3"),
                       (["--antal", "1", "--stratum", "Solna"], 'Stratumet "Solna" finns inte'),
                       (["--antal", "1", "--urval", "x.csv"], "antingen --antal")):
        r = _run(db_url, "utoka", "--granskning", "1", *args)
        assert r.exit_code == 2, r.output
        assert text in r.output and "Traceback" not in r.output
        with Store.open(db_url) as store:
            assert store.table_counts() == counts


def test_listed_addition_marks_the_audit_not_random(audit, tmp_path, db_url):
    listing = tmp_path / "nya.csv"
    listing.write_text("arende;stadsdel\nX1;Bromma\nX2;Farsta\n", encoding="utf-8")
    r = _run(db_url, "utoka", "--granskning", "1", "--urval", str(listing), "--id", "arende",
             "--strata", "stadsdel")
    assert r.exit_code == 0, r.output
    assert "inte längre ett slumpmässigt urval" in r.stdout
    with Store.open(db_url) as store:
        record = store.audit(1).sample_record
        assert record["slumpmassigt"] is False and record["tillagda_for_hand"] == 2
        added = {c.case_id: c for c in store.cases(1)}
        key = pseudonym.key()
        assert added[pseudonym.case(key, "X1")].stratum == "Bromma"
        for c in _drawn(store)[:8]:
            store.set_answer(1, c.case_id, "F3", "Ja", who="anna")
        frame = trail.history(store, 1)
    assert (frame["tool_version"] != "utanför granskning").all()
    r = _run(db_url, "analys", "--granskning", "1")
    assert r.exit_code == 0, r.output
    assert "2 ärenden lades till för hand och har ingen urvalsvikt" in r.stdout
    assert NO_CLAIM[NO_CLAIM.index("Resultaten"):] in r.stdout and "KI" not in r.stdout
    pdf = tmp_path / "r.pdf"
    r = _run(db_url, "rapport", "--granskning", "1", "--ut", str(pdf))
    assert r.exit_code == 0, r.output
    import re

    import pypdf

    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages))
    assert "Urvalet drogs slumpmässigt, men 2 ärenden lades till för hand" in text
    assert "KI nedre" not in text and "chi-två" not in text
    # The same list again: refused, nothing added; drawing more is refused for a non-random audit.
    r = _run(db_url, "utoka", "--granskning", "1", "--urval", str(listing), "--id", "arende")
    assert r.exit_code == 2 and "finns redan i granskning 1" in r.output
    r = _run(db_url, "utoka", "--granskning", "1", "--antal", "1")
    assert r.exit_code == 2 and "inte ett slumpmässigt urval" in r.output
