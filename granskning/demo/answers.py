"""Simulated answers for the demo: constructed so that the published tables come out exactly.

For the spring-2024 pre-assessment audit every district's 26 drawn cases get
the published counts of Table 1 (F5, contact routes) and Table 2 (F7, was the
child heard) of the inspectors' annual report 2024 (SEED-004, DOMAIN.md §2.1 and
§2.2), and the city totals the report states in its text: 16 reports with
violence against the child (11 vague, 5 concrete) with a police report
considered in 1; 24 with intimate-partner violence (6 very vague, 18 concrete in
ten districts); a notification meeting in 11 of the 87 cases reported by school,
preschool or a continuous care contact; prior knowledge in 106 (about 37 %);
remaining concern in 57 (about 20 %), in every district; 103 reports about
deficient care.  The remaining answers are plausible and respect the
checklist's skip conditions and required motivations.

The answers agree with the frame they come from and with the checklist's
rules: F4 (decision within 14 days, 11 kap. 1 a § SoL) and F4_dagar are the
frame's own dates (report received → decision; within means at most 14 days),
and every child under four gets "Barnet kan inte" on F7, the hindrance the
checklist defines for them (DOMAIN.md §5); the rest of a district's published
"Barnet kan inte" are older children (a disability).  The bundled frame is made
so that this and the published tables hold together (:mod:`granskning.demo.exempel`).

Everything is deterministic: the same cases give the same answers.  The child
was heard more often when older, so the gender and age analysis has something
to show, but nothing here claims to be real data.

The internal-control day gets answers to its controls and a survey.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.audit import pseudonym
from granskning.checklist.model import motivation_key
from granskning.demo.published import DISTRICTS  # the 11 districts of 2024, in the published order
from granskning.demo.published import TABLE_F5 as TABLE_F5  # re-export
from granskning.demo.published import TABLE_F7 as TABLE_F7  # re-export

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from granskning.checklist.model import Checklist

# City totals for the reporter (F1): the police first, then psychiatry, then the school
# (SEED-004); school, preschool and continuous care contact together 87.
REPORTERS = {
    "Polisen": 78, "Psykiatrin": 48, "Skolan": 46, "Beroendevård för vuxna": 32, "Förskolan": 21,
    "Kontinuerlig vårdkontakt": 20, "Annan hälso- och sjukvård": 14, "Anhörig eller närstående": 12,
    "Annan del av socialtjänsten": 10, "Annan anmälare": 4, "Barnet självt": 1,
}
MOTIVATION = "Syntetiskt exempel: motiveringen finns i akten."
SEED = 20240415
TIME_LIMIT = 14  # days from report to decision, 11 kap. 1 a § SoL
UNDER = 4  # "Barnet kan inte" covers every child under four (DOMAIN.md §5)


def days_to_decision(frame: pd.DataFrame) -> pd.Series:
    """Return the days from report received to decision of each row of the example export."""
    import pandas as pd

    received = pd.to_datetime(frame["inkom_datum"], format="%Y-%m-%d")
    decided = pd.to_datetime(frame["beslut_datum"], format="%Y-%m-%d")
    return (decided - received).dt.days


def with_frame(cases: pd.DataFrame, ram: str | Path, key: bytes | None = None) -> pd.DataFrame:
    """Return the stored cases with the frame's ``days`` (report → decision) for each.

    The store holds pseudonyms; the frame's ``arende_id`` is pseudonymised
    with ``key`` (default: the unit's key) to find each case's row.
    """
    import pandas as pd

    secret = key if key is not None else pseudonym.key()
    frame = pd.read_csv(ram, sep=";", encoding="cp1252", dtype=str)
    days = dict(zip((pseudonym.case(secret, c) for c in frame["arende_id"]), days_to_decision(frame),
                    strict=True))
    missing = [c for c in cases["case_id"] if c not in days]
    if missing:
        raise ValueError(f"{len(missing)} cases are not in the frame {ram} (another key or frame?)")
    return cases.assign(days=[int(days[c]) for c in cases["case_id"]])


def _spread(total: int, groups: int, rng: np.random.Generator, minimum: int = 0) -> list[int]:
    """Return ``groups`` non-negative counts summing to ``total``, each at least ``minimum``."""
    import numpy as np
    base = [minimum] * groups
    rest = total - minimum * groups
    extra = np.bincount(rng.integers(0, groups, rest), minlength=groups) if rest > 0 else np.zeros(groups)
    return [b + int(e) for b, e in zip(base, extra, strict=True)]


def _pick(indices: Sequence[int], k: int, rng: np.random.Generator) -> list[int]:
    import numpy as np
    return [int(i) for i in rng.choice(np.asarray(indices, dtype=int), size=k, replace=False)] if k else []


def preassessment_answers(cases: pd.DataFrame, *, seed: int = SEED) -> dict[str, dict[str, Any]]:
    """Return case id -> answers for the 11 × 26 pre-assessment sample.

    ``cases`` has the columns ``case_id``, ``stratum`` (district), ``sex``, ``age``,
    ``draw_order`` (reserves left out) and ``days`` from report to decision (the
    frame's dates, :func:`with_frame`).  Each district must hold 26 cases, and no
    more children under four than its published "Barnet kan inte".  The questions are
    answered in a fixed order from one random generator, so the answers depend on the
    seed alone.
    """
    import numpy as np

    if "days" not in cases.columns:
        raise ValueError("the cases need the frame's days from report to decision (with_frame)")
    rng = np.random.default_rng(seed)
    cases = cases.sort_values(["stratum", "draw_order"]).reset_index(drop=True)
    ans: list[dict[str, Any]] = [{} for _ in range(len(cases))]
    by_district = {d: cases.index[cases["stratum"] == d].tolist() for d in DISTRICTS}
    bad = {d: len(v) for d, v in by_district.items() if len(v) != 26}
    if bad or len(cases) != 286:
        raise ValueError(f"the demo needs 26 cases in each of the 11 districts, got {bad or len(cases)}")
    for j, district in enumerate(DISTRICTS):
        _contact_and_voice(cases, by_district[district], j, ans, rng)
    everyone = list(range(len(cases)))
    _reporters(everyone, ans, rng)
    _violence(everyone, by_district, ans, rng)
    _reasons(everyone, ans, rng)
    _formal_and_days(everyone, cases, ans, rng)
    _child_heard(everyone, ans, rng)
    _prior_knowledge(everyone, ans, rng)
    _decision(everyone, by_district, ans, rng)
    return {str(cases.at[i, "case_id"]): a for i, a in enumerate(ans)}


def _contact_and_voice(cases: pd.DataFrame, idx: list[int], j: int, ans: list[dict[str, Any]],
                       rng: np.random.Generator) -> None:
    """F5 and F7 in district number ``j`` (rows ``idx``): the published counts of Tables 1 and 2."""
    district = DISTRICTS[j]
    # F5: the published counts, in a random order within the district.
    routes = [r for r, counts in TABLE_F5.items() for _ in range(counts[j])]
    for i, route in zip(rng.permutation(idx), routes, strict=True):
        ans[i]["F5"] = route
    # F7: "Barnet kan inte" to every child under four and, up to the published count, to
    # older children at random (a disability); "Ja" to the oldest of the rest, girls a little first.
    age = cases.loc[idx, "age"].astype(float).to_numpy()
    girl = (cases.loc[idx, "sex"] == "flicka").to_numpy()
    young = [i for i, a in zip(idx, age, strict=True) if a < UNDER]
    n_cannot = TABLE_F7["Barnet kan inte"][j]
    if len(young) > n_cannot:
        raise ValueError(f"{district}: {len(young)} children under {UNDER} but Table 2 has only "
                         f"{n_cannot} 'Barnet kan inte'")
    cannot = young + _pick([i for i in idx if i not in set(young)], n_cannot - len(young), rng)
    rest = [i for i in idx if i not in set(cannot)]
    score = {i: float(cases.at[i, "age"]) + 1.0 * bool(girl[idx.index(i)]) + 3 * rng.random()
             for i in rest}
    by_score = sorted(rest, key=lambda i: -score[i])
    yes = by_score[: TABLE_F7["Ja"][j]]
    others = [i for i in rest if i not in set(yes)]
    order = [others[k] for k in rng.permutation(len(others))]
    n_wont, n_vh = TABLE_F7["Barnet vill inte"][j], TABLE_F7["VH samtycker inte"][j]
    for i in cannot:
        ans[i]["F7"] = "Barnet kan inte"
    for i in yes:
        ans[i]["F7"] = "Ja"
    for k, i in enumerate(order):
        ans[i]["F7"] = ("Barnet vill inte" if k < n_wont else
                        "VH samtycker inte" if k < n_wont + n_vh else "Nej")


def _reporters(everyone: list[int], ans: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """F1: reporters with the city totals; F6 for the school, preschool and care reports."""
    reporters = [r for r, n in REPORTERS.items() for _ in range(n)]
    for i, r in zip(rng.permutation(everyone), reporters, strict=True):
        ans[i]["F1"] = r
        if r == "Annan anmälare":
            ans[i][motivation_key("F1")] = "Syntetiskt exempel: anonym anmälare."
    school = [i for i in everyone if ans[i]["F1"] in ("Skolan", "Förskolan", "Kontinuerlig vårdkontakt")]
    met = set(_pick(school, 11, rng))
    for i in school:
        ans[i]["F6"] = "Ja" if i in met else "Nej"


def _violence(everyone: list[int], by_district: dict[str, list[int]], ans: list[dict[str, Any]],
              rng: np.random.Generator) -> None:
    """F13/F14: violence against the child in 16 (11 vague, 5 concrete), a police report
    considered in 1; F15: intimate-partner violence in 24, 18 concrete in ten districts."""
    violent = _pick(everyone, 16, rng)
    for k, i in enumerate(violent):
        ans[i]["F13"] = "Ja – diffusa uppgifter" if k < 11 else "Ja – konkreta uppgifter"
        ans[i]["F14"] = "Ja" if k == 11 else "Nej"
    for i in everyone:
        ans[i].setdefault("F13", "Nej")
    concrete_districts = [d for d in DISTRICTS if d != "Norra innerstaden"]
    per = _spread(18, 10, rng, minimum=1)
    ipv: list[int] = []
    for d, k in zip(concrete_districts, per, strict=True):
        chosen = _pick(by_district[d], k, rng)
        ipv += chosen
        for i in chosen:
            ans[i]["F15"] = "Ja – konkreta uppgifter"
    for i in _pick([i for i in everyone if i not in set(ipv)], 6, rng):
        ans[i]["F15"] = "Ja – mycket diffusa uppgifter"
    for i in everyone:
        ans[i].setdefault("F15", "Nej")


def _reasons(everyone: list[int], ans: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """F2: reasons (multiple choice); deficient care in exactly 103, violence as in F13/F15."""
    care = set(_pick(everyone, 103, rng))
    for i in everyone:
        reasons = []
        if i in care:
            reasons.append("Oro för bristande omsorg")
        if rng.random() < 0.30:
            reasons.append("Förälders missbruk eller beroende")
        if rng.random() < 0.25:
            reasons.append("Förälders psykiska ohälsa")
        if ans[i]["F13"] != "Nej":
            reasons.append("Våld mot barnet")
        if ans[i]["F15"] != "Nej":
            reasons.append("Våld i nära relation")
        if not reasons:
            reasons.append("Barnets eget beteende")
        ans[i]["F2"] = reasons


def _formal_and_days(everyone: list[int], cases: pd.DataFrame, ans: list[dict[str, Any]],
                     rng: np.random.Generator) -> None:
    """F3: formal requirements broadly met.  F4: the frame's own dates (Hägersten-Älvsjö most
    often over 14 days there, as in SEED-000).  F5_hembesok: no home visits in the material."""
    for k, i in enumerate(rng.permutation(everyone)):
        ans[int(i)]["F3"] = "Nej" if k == 0 else "Bristfällig" if k < 5 else "Ja"
    for i in everyone:
        days = int(cases.at[i, "days"])
        ans[i]["F4_dagar"] = days
        if days <= TIME_LIMIT:
            ans[i]["F4"] = "Inom 14 dagar"
        else:
            ans[i]["F4"] = "Över 14 dagar"
            ans[i][motivation_key("F4")] = MOTIVATION
    for i in everyone:
        ans[i]["F5_hembesok"] = "Nej"
        if ans[i]["F5"] == "Ingen kontakt":
            ans[i][motivation_key("F5")] = MOTIVATION


def _child_heard(everyone: list[int], ans: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """F8–F10 follow F7."""
    no = [i for i in everyone if ans[i]["F7"] == "Nej"]
    motivated = set(_pick(no, round(0.8 * len(no)), rng))
    reasons_f8 = ["Barnets berättelse behövdes inte för beslutet",
                  "Föräldrarnas berättelse gav tillräckligt underlag", "Barnet kände inte till händelsen"]
    for i in no:
        ans[i]["F8"] = "Ja" if i in motivated else "Nej"
        if i in motivated:
            ans[i]["F8_skal"] = [reasons_f8[int(rng.integers(0, 3))]]
    heard = [i for i in everyone if ans[i]["F7"] == "Ja"]
    tools = set(_pick(heard, round(0.73 * len(heard)), rng))
    poor = set(_pick(heard, 4, rng))
    for i in heard:
        ans[i]["F9"] = "Ja" if i in tools else "Nej"
        ans[i]["F10"] = "Bristfällig" if i in poor else "God"
        if i in poor:
            ans[i][motivation_key("F10")] = MOTIVATION


def _prior_knowledge(everyone: list[int], ans: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """F11/F12: prior knowledge in 106 of 286 (37,1 %), rarely weighed in."""
    known = _pick(everyone, 106, rng)
    for k, i in enumerate(known):
        ans[i]["F12"] = "Ja" if k < 30 else "Framgår ej" if k < 46 else "Nej"
    for i in everyone:
        ans[i]["F11"] = "Ja" if "F12" in ans[i] else "Nej"


def _decision(everyone: list[int], by_district: dict[str, list[int]], ans: list[dict[str, Any]],
              rng: np.random.Generator) -> None:
    """F16/F17: most decisions clearly motivated; remaining concern in 57, in every district;
    F18–F22 the decision's contacts, support and referrals."""
    remaining: list[int] = []
    for d, k in zip(DISTRICTS, _spread(57, 11, rng, minimum=3), strict=True):
        remaining += _pick(by_district[d], k, rng)
    serious = set(remaining[::5])
    for i in everyone:
        if i in serious:
            ans[i]["F17"] = "Så allvarligt att utredning borde inletts omedelbart"
        elif i in set(remaining):
            ans[i]["F17"] = "Kvarstående oro (borde utretts)"
        else:
            ans[i]["F17"] = "Ingen kvarstående oro"
        if ans[i]["F17"] != "Ingen kvarstående oro":
            ans[i][motivation_key("F17")] = MOTIVATION
        u = rng.random()
        ans[i]["F16"] = ("Nej" if i in serious and u < 0.5 else
                         "Delvis" if i in set(remaining) or u < 0.12 else "Ja")
        ans[i]["F18"] = "Nej"  # no external contacts
        ans[i]["F19"] = "Nej"  # no investigative contacts
        support = rng.random() < 0.55
        ans[i]["F20"] = "Ja" if support else "Nej"
        v = rng.random()
        ans[i]["F21"] = ("Ingen hänvisning" if not support else "Till föräldrar" if v < 0.78 else
                         "Till båda" if v < 0.92 else "Till barnet")
        w = rng.random()
        ans[i]["F22"] = "Ej aktuellt" if w < 0.3 else "Ja" if w < 0.35 else "Nej"


def changes(answers: dict[str, dict[str, Any]]) -> Iterable[tuple[str, str, Any]]:
    """Yield (case id, question id, value) for :meth:`Store.set_answers`."""
    for case_id, a in answers.items():
        for qid, value in a.items():
            yield case_id, qid, value


# The hindrance categories that cover every child under four (DOMAIN.md §5; checklist help texts).
UNDER_FOUR = ("Barnet kan inte", "Barnet under fyra år")


def check(answers: dict[str, dict[str, Any]], checklist: Checklist,
          ages: dict[str, Any] | None = None) -> None:
    """Raise ValueError unless every case's answers are complete and visible under the checklist.

    With ``ages`` (case id -> age) a child under four must have the
    under-four hindrance on every question that has one (:data:`UNDER_FOUR`).
    """
    young_questions = [(q.id, next(h for h in q.hindrances if h in UNDER_FOUR))
                       for q in checklist.questions if any(h in UNDER_FOUR for h in q.hindrances)]
    for case_id, a in answers.items():
        missing = checklist.missing(a)
        shown = {q.id for q in checklist.visible_questions(a)}
        hidden = [k for k in a if k.split("__")[0] not in shown]
        if missing or hidden:
            raise ValueError(f"case {case_id}: missing {missing}, answered but hidden {hidden}")
        age = (ages or {}).get(case_id)
        if age is not None and age == age and int(age) < UNDER:
            wrong = [(qid, a[qid]) for qid, h in young_questions if qid in a and a[qid] != h]
            if wrong:
                raise ValueError(f"case {case_id}: a child of {int(age)} answered {wrong}")


# -- internal control ------------------------------------------------------------------


# The self-check's questions about talking with the child: "Barnet kan inte" is their hindrance.
CHILD_VOICE = ("E1_enskilt", "E3")


def control_answers(cases: pd.DataFrame, deviations: dict[str, int], *, seed: int = SEED
                    ) -> dict[str, dict[str, Any]]:
    """Return answers to the SOSFS 2012:11 self-check for the drawn files.

    ``deviations`` maps a control question (E1_enskilt, E3, E4, E5) to the number
    of "Nej" answers among the files, placed at random; ``cases`` has
    ``case_id``, ``age`` and ``draw_order``.  A child under four (the placement
    list's age) gets "Barnet kan inte" on the questions about talking with the
    child (:data:`CHILD_VOICE`), as in the pre-assessments, never Ja or Nej.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cases = cases.sort_values("draw_order").reset_index(drop=True)
    n = len(cases)
    ages = pd.to_numeric(cases["age"], errors="coerce")
    young = {i for i in range(n) if ages.iat[i] < UNDER}
    ans: list[dict[str, Any]] = [{} for _ in range(n)]
    for qid, k in deviations.items():
        able = [i for i in range(n) if not (qid in CHILD_VOICE and i in young)]
        bad = set(_pick(able, k, rng))
        for i in range(n):
            ans[i][qid] = "Barnet kan inte" if i not in able else "Nej" if i in bad else "Ja"
    for i in range(n):
        a = ans[i]
        visits = int(rng.integers(1, 6))
        a["E1"] = visits
        a["E1_hembesok"] = int(rng.integers(0, visits + 1))
        a["E1_senast"] = f"2025-0{int(rng.integers(1, 5))}-{int(rng.integers(10, 28))}"
        a["E2"] = int(rng.integers(1, 3))
        if a.get("E1_enskilt") == "Nej":
            a[motivation_key("E1_enskilt")] = MOTIVATION
        if a.get("E3") == "Ja":
            a["E3_satt"] = ["Enskilt samtal"] + (["Viewpoint"] if rng.random() < 0.35 else [])
        if a.get("E4") == "Nej":
            a[motivation_key("E4")] = MOTIVATION
        elif a.get("E4") == "Ja":
            a["E4_utfall"] = ("Placerad hos anhörig eller närstående" if rng.random() < 0.3
                              else "Ingen lämplig anhörig eller närstående")
        if a.get("E5") == "Ja":
            a["E5_nojdhet"] = ["Mycket nöjda", "Ganska nöjda", "Varken nöjda eller missnöjda"][
                int(rng.integers(0, 3))]
        e6 = rng.random()
        a["E6"] = "Nej" if e6 < 0.85 else "Ja – omplacering"
        if a["E6"] != "Nej":
            a["E6_orsak"] = ["Barnets komplexa behov (kriminalitet, missbruk, psykisk ohälsa)"]
            a["E6_till"] = "HVB"
    return {str(cases.at[i, "case_id"]): a for i, a in enumerate(ans)}


def survey_answers(cases: pd.DataFrame, yes: dict[str, int], *, seed: int = SEED) -> dict[str, dict[str, Any]]:
    """Return answers to the participation survey (delaktighetsenkät) with ``yes[q]`` Ja per question.

    A Nej gets a reason; the child's young age is the most common (SEED-000).
    """
    import numpy as np
    rng = np.random.default_rng(seed + 1)
    ids = [str(c) for c in cases.sort_values("draw_order")["case_id"]]
    n = len(ids)
    ans: dict[str, dict[str, Any]] = {c: {} for c in ids}
    reasons = ["Barnets låga ålder"] * 5 + ["Föräldrarna motsatte sig kontakt"] * 2 + [
        "Barnet motsatte sig kontakt", "Omfattande funktionsnedsättning", "Byte av handläggare"]
    for qid, k in yes.items():
        ok = set(_pick(range(n), k, rng))
        for i, c in enumerate(ids):
            ans[c][qid] = "Ja" if i in ok else "Nej"
            if i not in ok:
                ans[c][f"{qid}_orsak"] = [reasons[int(rng.integers(0, len(reasons)))]]
    return ans
