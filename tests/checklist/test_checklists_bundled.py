"""The checklists shipped in checklists/: they validate and carry the published categories."""

from __future__ import annotations

import pytest

from granskning import checklist as cl

BUNDLED = {p.stem: p for p in cl.bundled()}

# Published tables (Socialtjänstinspektörernas årsrapport 2024, dnr SOF 2024/791; DOMAIN.md §2).
# Row labels in table order -> Total/Totalt column.
TABLE1_F5 = {"Fysiskt möte": 130, "Endast telefon": 135, "Endast brev": 17, "Ingen kontakt": 4}
TABLE2_F7 = {"Ja": 52, "Nej": 156, "Barnet vill inte": 7, "Barnet kan inte": 49,
             "VH samtycker inte": 22}
TABLE3_O4 = {"Ja": 28, "Nej": 8}
TABLE4_O6 = {"Ja": 5, "Nej": 17, "Barnet under fyra år": 6, "Barnet vill inte": 0,
             "Genomförandeplan saknas": 8}
TABLE5_O15 = {"Ja": 2, "Nej": 15, "Inget avslutsmöte hålls": 3, "Insatsen pågår fortfarande": 9,
              "Barnet under fyra år": 6, "Barnet vill inte": 1}


def test_all_six_bundled_checklists_present() -> None:
    assert sorted(BUNDLED) == [
        "delaktighetsenkat", "egenkontroll-sosfs-2012-11", "forhandsbedomning-0-12",
        "kollegial-granskning", "langvarig-hemloshet", "oppenvard-0-12",
    ]


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_file_validates_and_id_matches_file_name(name: str) -> None:
    c = cl.load(BUNDLED[name])
    assert c.id == name
    assert c.questions and all(a.questions for a in c.areas)
    assert sum(len(a.questions) for a in c.areas) == len(c.questions)
    # Every indicator has a numerator that is inside its denominator.
    for q in c.questions:
        if q.indicator:
            assert set(q.numerator_categories) <= set(q.denominator_categories), q.id


def test_load_by_bundled_id() -> None:
    assert cl.load("kollegial-granskning").path == str(BUNDLED["kollegial-granskning"])


@pytest.mark.parametrize(("name", "questions", "areas"), [
    # SEED-003: "fyra områden; anmälan, beslutsunderlag, fysisk akt och digital akt och det är
    # sammanlagt 33 frågor".
    ("kollegial-granskning", 33, 4),
])
def test_peer_review_has_33_questions_in_four_areas(name: str, questions: int, areas: int) -> None:
    c = cl.load(BUNDLED[name])
    assert len(c.questions) == questions
    assert [a.title for a in c.areas] == ["Anmälan", "Beslutsunderlag", "Fysisk akt", "Digital akt"]
    assert len(c.areas) == areas
    for q in c.questions:
        assert q.choices == ("Ja", "Nej", "Ej aktuellt")
        assert q.not_applicable == ("Ej aktuellt",)
    # The seed's four examples are there and marked as such in the description.
    texts = [q.text for q in c.questions]
    for example in ("Är skyddsbedömningen gjord i tid?",
                    "Är utredningen avslutad i tid (inom fyra månader)?",
                    "Lyfts barnets bästa fram i beslutsunderlaget?",
                    "Är polisanmälan gjord om det funnits oro för våld?"):
        assert example in texts
    assert "Från källan: K2, K15, K18, K21" in c.description


@pytest.fixture(scope="module")
def fb() -> cl.Checklist:
    return cl.load(BUNDLED["forhandsbedomning-0-12"])


@pytest.fixture(scope="module")
def ov() -> cl.Checklist:
    return cl.load(BUNDLED["oppenvard-0-12"])


def test_pre_assessment_published_categories(fb: cl.Checklist) -> None:
    f5, f7 = fb.question("F5"), fb.question("F7")
    assert f5.text == "Kontaktvägar med vårdnadshavare"
    assert f5.choices == tuple(TABLE1_F5)
    assert f7.text == "Har barnet kommit till tals om anmälan?"
    assert f7.choices == tuple(TABLE2_F7)
    assert f7.hindrances == ("Barnet vill inte", "Barnet kan inte", "VH samtycker inte")
    ids = [q.id for q in fb.questions]
    assert {f"F{i}" for i in range(1, 25)} - set(ids) == {"F23"}  # F23 = sex/age, from the sample


def test_pre_assessment_denominator_gives_published_25_percent(fb: cl.Checklist) -> None:
    # Årsrapporten: barnen kom till tals "i cirka 25 procent av de ärenden där inga hinder
    # för delaktighet fanns" = 52 / 208 (DOMAIN.md §2.2).
    f7 = fb.question("F7")
    num = sum(TABLE2_F7[c] for c in f7.numerator_categories)
    den = sum(TABLE2_F7[c] for c in f7.denominator_categories)
    assert (num, den) == (52, 208)
    # Table 1: physical meeting 130 / 286 = 45 % ("I 45 procent av ärendena träffade ...").
    assert round(100 * TABLE1_F5["Fysiskt möte"] / sum(TABLE1_F5.values())) == 45


def test_pre_assessment_skip_logic(fb: cl.Checklist) -> None:
    assert not fb.visible("F14", {"F13": "Nej"})
    assert fb.visible("F14", {"F13": "Ja – diffusa uppgifter"})
    assert not fb.visible("F14", {})
    assert fb.visible("F12", {"F11": "Ja"}) and not fb.visible("F12", {"F11": "Nej"})
    assert fb.visible("F8", {"F7": "Nej"})
    assert not fb.visible("F8", {"F7": "Barnet kan inte"})
    assert fb.visible("F9", {"F7": "Ja"}) and not fb.visible("F9", {"F7": "Nej"})
    assert fb.visible("F6", {"F1": "Förskolan"}) and not fb.visible("F6", {"F1": "Polisen"})


def test_pre_assessment_walk_through(fb: cl.Checklist) -> None:
    answers: dict[str, object] = {}
    script = {
        "F1": "Polisen", "F2": "Oro för bristande omsorg", "F13": "Nej", "F15": "Nej",
        "F3": "Ja", "F4": "Inom 14 dagar", "F4_dagar": 9, "F5": "Endast telefon",
        "F5_hembesok": "Nej", "F7": "Barnet kan inte", "F11": "Nej", "F16": "Ja",
        "F17": "Ingen kvarstående oro", "F18": "Nej", "F19": "Nej", "F20": "Ja",
        "F21": "Till föräldrar", "F22": "Ej aktuellt", "F24": "Inga anteckningar",
    }
    asked = []
    while (q := fb.next_unanswered(answers)) is not None:
        asked.append(q.id)
        if q.id == "F24":
            assert fb.is_complete(answers)  # F24 is optional
        answers[q.id] = q.coerce(script[q.id])
    assert asked == list(script)  # F6, F8–F10, F12 and F14 were skipped
    assert fb.is_complete(answers)


def test_open_care_published_categories(ov: cl.Checklist) -> None:
    o4, o6, o15 = ov.question("O4"), ov.question("O6"), ov.question("O15")
    assert o4.text == "Finns en färdigställd genomförandeplan?"
    assert o4.choices == tuple(TABLE3_O4)
    assert o6.text == "Deltar barnet när genomförandeplanen formuleras?"
    assert o6.choices == tuple(TABLE4_O6)
    assert o15.text == "Är barnet delaktig i avslutsmötet?"
    assert o15.choices == tuple(TABLE5_O15)


@pytest.mark.parametrize(("qid", "table", "expected"), [
    ("O4", TABLE3_O4, (28, 36)),   # DOMAIN.md §2.3: 28/36 = 77.8 %
    ("O6", TABLE4_O6, (5, 22)),    # §2.4: eligible cases, 5/22 = 22.7 %
    ("O15", TABLE5_O15, (2, 17)),  # §2.5: Ja + Nej = 17, 2/17 = 11.8 %
])
def test_open_care_denominators_match_published(ov: cl.Checklist, qid: str, table: dict,
                                                expected: tuple[int, int]) -> None:
    q = ov.question(qid)
    num = sum(table[c] for c in q.numerator_categories)
    den = sum(table[c] for c in q.denominator_categories)
    assert (num, den) == expected


def test_open_care_numeric_condition(ov: cl.Checklist) -> None:
    assert ov.visible("O10_orsak", {"O10": 4, "O10_faktisk": 2})
    assert not ov.visible("O10_orsak", {"O10": 4, "O10_faktisk": 4})
    assert not ov.visible("O10_orsak", {"O10": 4})


def test_participation_survey_has_three_sub_goals_with_reasons() -> None:
    c = cl.load(BUNDLED["delaktighetsenkat"])
    assert c.kind == "enkat"
    assert [q.id for q in c.questions if q.indicator] == ["D1", "D2", "D3"]
    reasons = c.question("D2_orsak")
    assert "Barnets låga ålder" in reasons.choices
    assert c.visible(reasons, {"D2": "Nej"}) and not c.visible(reasons, {"D2": "Ja"})


def test_self_check_covers_items_one_to_six() -> None:
    c = cl.load(BUNDLED["egenkontroll-sosfs-2012-11"])
    assert c.kind == "egenkontroll"
    assert [a.title[:2] for a in c.areas] == ["1–", "3.", "4.", "5.", "6."]
    assert {q.type for q in c.questions} >= {"tal", "datum", "janej", "enval", "flerval"}
    assert c.visible("E1_senast", {"E1": 2}) and not c.visible("E1_senast", {"E1": 0})


def test_homelessness_is_an_adult_checklist() -> None:
    c = cl.load(BUNDLED["langvarig-hemloshet"])
    assert not any("barn" in a.title.casefold() for a in c.areas)
    assert c.visible("H15", {"H11": "Nej", "H12": "Ja"})
    assert not c.visible("H15", {"H11": "Nej", "H12": "Framgår ej"})


def test_open_care_time_to_start_up_meeting_from_the_case_date(ov: cl.Checklist) -> None:
    # Version 2025.1: the frame's startdatum (the assignment) travels with the case; the
    # reviewer gives the meeting's date and the days and the three-month limit are computed.
    assert ov.version == "2025.1" and ov.case_fields == {"startdatum": "datum"}
    assert [q.id for q in ov.questions if q.computed] == ["O2_dagar", "O2"]
    case = {"startdatum": "2024-01-31"}
    # 31 Jan + 3 months = 30 Apr 2024 (the month's last day, lag 1930:173); 30 Apr is 90 days
    # after 31 Jan (29 + 31 + 30 in Feb, Mar, Apr of a leap year).
    assert ov.computed({"O2_datum": "2024-04-30"}, case) == {"O2_dagar": 90, "O2": "Ja"}
    assert ov.computed({"O2_datum": "2024-05-01"}, case) == {"O2_dagar": 91, "O2": "Nej"}
    assert ov.computed({}, case) == {"O2_dagar": None, "O2": None}  # no meeting: unknown
    assert ov.violations({"O2_datum": "2024-01-30"}, case)[0][1] == (
        "O2_datum: Uppstartsmötet kan inte ha hållits före uppdraget (insatsens startdatum)")
    assert ov.question("O2").indicator and ov.question("O2").numerator_categories == ("Ja",)


def test_earlier_open_care_version_is_kept_for_old_audits() -> None:
    from granskning.audit.checklists import earlier_bundled

    old = cl.load(cl.bundled_dir() / "tidigare" / "oppenvard-0-12-2024.1.yaml")
    assert old.version == "2024.1" and old.question("O2").type == "enval"
    assert earlier_bundled("oppenvard-0-12", old.sha256) == old
