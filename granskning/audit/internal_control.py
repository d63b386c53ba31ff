"""Internal control (internkontroll): each control's result and status, and the survey's results.

A control is one question of the self-check checklist, checked in a random
sample of files (the protocol's ``kontroller``).  Its result is the number of
files checked, the deviations found, the deviation rate and the one-sided
upper bound on the rate in the whole unit at the chosen risk (exact
hypergeometric with the unit's number of files, as
:func:`granskning.sampling.precision.evaluate_attribute_sample`).  The status uses the
words units already use in their follow-up, by this rule (also in
``reports/internkontroll.md``):

* **Uppfylls helt**: the upper bound is below the tolerable rate;
* **Uppfylls delvis**: the sample's rate is at most the tolerable rate, but the
  upper bound is not below it (the sample cannot show that the routine works);
* **Uppfylls ej**: the sample's rate is above the tolerable rate.

Answers that are hindrances or not applicable (e.g. "Barnet vill inte") are
not checks of the routine and leave the count.  Every answered file in the
sample counts, so checking more files than planned only sharpens the bound.

The survey (a checklist of kind ``enkat`` answered by the case workers) is
summarised per Ja/Nej question with the reasons given for Nej.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.audit.opened import open_audit
from granskning.errors import InputError
from granskning.fmt import heltal, procent, tal
from granskning.sampling.precision import evaluate_attribute_sample
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.audit.opened import OpenedAudit
    from granskning.audit.protocol import Control
    from granskning.store.database import Store

__all__ = ["ControlResult", "InternalControlSummary", "SurveyQuestion", "evaluate", "status", "summarise"]

FULL, PARTLY, NOT_MET, NOT_CHECKED = "Uppfylls helt", "Uppfylls delvis", "Uppfylls ej", "Ej granskad"


def status(rate: float, upper_bound: float, tolerable: float) -> str:
    """Return the status of a control by the rule in the module docstring."""
    if math.isnan(rate):
        return NOT_CHECKED
    if upper_bound < tolerable:
        return FULL
    if rate <= tolerable:
        return PARTLY
    return NOT_MET


@dataclass(frozen=True, slots=True)
class ControlResult:
    """One control: files checked, deviations, rate, upper bound, tolerable rate and status."""

    id: str
    title: str
    question: str
    planned: int | None  # the attribute-sample size of the protocol
    checked: int
    deviations: int
    rate: float
    upper_bound: float
    risk: float
    tolerable: float
    population: int | None
    status: str

    def sentence(self) -> str:
        """Return the result as one Swedish sentence, ready to paste into T2 or VB."""
        if self.checked == 0:
            return f"{self.id} {self.title}: inga akter granskade."
        short = ""
        if self.planned and self.checked < self.planned:
            short = f" (planerat {self.planned})"
        return (f"{self.id} {self.title}: {antal(self.checked, 'akt')} {'granskad' if self.checked == 1 else 'granskade'}{short}, "
                f"{heltal(self.deviations)} {'avvikelse' if self.deviations == 1 else 'avvikelser'} ({procent(self.rate)}). Med "
                f"{tal(100 * (1 - self.risk), 0)} % säkerhet är andelen avvikelser i enheten högst "
                f"{procent(self.upper_bound)}; tolerabel avvikelse {procent(self.tolerable)}. "
                f"Status: {self.status}.")

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "titel": self.title, "fraga": self.question, "planerat_n": self.planned,
                "granskade": self.checked, "avvikelser": self.deviations,
                "andel": None if math.isnan(self.rate) else self.rate,
                "ovre_grans": None if math.isnan(self.upper_bound) else self.upper_bound,
                "risk": self.risk, "tolerabel": self.tolerable, "population": self.population,
                "status": self.status}


@dataclass(frozen=True, slots=True)
class SurveyQuestion:
    """One Ja/Nej survey question: answers and the reasons given for Nej."""

    id: str
    text: str
    yes: int
    no: int
    reasons: tuple[tuple[str, int], ...]

    @property
    def answered(self) -> int:
        return self.yes + self.no

    @property
    def rate(self) -> float:
        return self.yes / self.answered if self.answered else math.nan

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "ja": self.yes, "nej": self.no,
                "andel_ja": None if math.isnan(self.rate) else self.rate,
                "orsaker": {k: v for k, v in self.reasons}}


@dataclass(frozen=True, slots=True)
class InternalControlSummary:
    """The whole internal control: controls and (optionally) the survey."""

    audit_id: int
    title: str
    controls: tuple[ControlResult, ...]
    survey_id: int | None
    survey_title: str | None
    survey_respondents: int
    survey: tuple[SurveyQuestion, ...]
    record: dict[str, Any] | None

    def text(self) -> str:
        """Return the summary as plain Swedish text to paste into the tertial report or VB."""
        lines = [f"{self.title}", ""]
        counts = {s: sum(c.status == s for c in self.controls) for s in (FULL, PARTLY, NOT_MET)}
        lines.append(f"{antal(len(self.controls), 'kontroll')}: {counts[FULL]} uppfylls helt, {counts[PARTLY]} "
                     f"uppfylls delvis och {counts[NOT_MET]} uppfylls ej.")
        lines += [c.sentence() for c in self.controls]
        if self.survey_id is not None:
            lines += ["", f"Enkät ({self.survey_title}, {heltal(self.survey_respondents)} svar):"]
            for q in self.survey:
                if q.answered:
                    reason = ""
                    if q.reasons:
                        top, k = q.reasons[0]
                        reason = f" Vanligaste orsak till Nej: {top.lower()} ({k})."
                    lines.append(f"{q.text}: Ja {heltal(q.yes)} av {heltal(q.answered)} ({procent(q.rate)}).{reason}")
        return "\n".join(lines)

    def to_json_dict(self) -> dict[str, Any]:
        return {"granskning": self.audit_id, "titel": self.title,
                "kontroller": [c.to_json_dict() for c in self.controls],
                "enkat": None if self.survey_id is None else {
                    "granskning": self.survey_id, "titel": self.survey_title,
                    "svarande": self.survey_respondents, "fragor": [q.to_json_dict() for q in self.survey]}}


def evaluate(control: Control, answers: list[Any], *, excluded: tuple[str, ...] = (),
             population: int | None = None, planned: int | None = None) -> ControlResult:
    """Return a control's result from the answers to its question (one per file; None = unanswered)."""

    given = [a for a in answers if a is not None and a not in excluded]
    checked = len(given)
    deviations = sum(a in control.deviations for a in given)
    if checked == 0:
        return ControlResult(control.id, control.title, control.question, planned, 0, 0, math.nan, math.nan,
                             control.risk, control.tolerable, population, NOT_CHECKED)
    if population is not None and population < checked:
        population = None  # a census larger than the recorded population: fall back to binomial
    ev = evaluate_attribute_sample(checked, deviations, risk=control.risk, tolerable=control.tolerable,
                                   population=population)
    return ControlResult(control.id, control.title, control.question, planned, checked, deviations,
                         ev.sample_rate, ev.upper_bound, control.risk, control.tolerable, population,
                         status(ev.sample_rate, ev.upper_bound, control.tolerable))


def survey_results(store: Store, survey_id: int) -> tuple[str, int, tuple[SurveyQuestion, ...]]:
    """Return (title, respondents, results per Ja/Nej question) of a survey audit."""

    chk = open_audit(store, survey_id).checklist
    frame = store.answers_frame(survey_id)
    cols = [c for c in frame.columns if c != "case_id"]
    respondents = int(frame[cols].notna().any(axis=1).sum()) if cols else 0
    out = []
    for q in chk.questions:
        if not q.answer_type.yes_no:
            continue
        values = frame[q.id].tolist() if q.id in frame.columns else []
        yes = sum(v == "Ja" for v in values)
        no = sum(v == "Nej" for v in values)
        reasons: dict[str, int] = {}
        reason_col = f"{q.id}_orsak"
        if reason_col in frame.columns:
            for v in frame[reason_col]:
                for r in (v if isinstance(v, list) else [v] if v else []):
                    reasons[str(r)] = reasons.get(str(r), 0) + 1
        ordered = tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(SurveyQuestion(q.id, q.text.strip(), yes, no, ordered))
    return chk.title, respondents, tuple(out)


def summarise(store: Store, audit_id: int, *, survey_id: int | None = None,
              opened: OpenedAudit | None = None) -> InternalControlSummary:
    """Return the internal control of an audit: every control of its protocol, and the survey.

    ``opened`` is the audit as :func:`granskning.audit.opened.open_audit` returns it (opened here if not given).
    """

    opened = opened or open_audit(store, audit_id)
    audit, proto, chk = opened.audit, opened.protocol, opened.checklist
    if proto is None or not proto.controls:
        raise InputError(f"granskning {audit_id} har inget protokoll med kontroller; skapa den med "
                         "granskning ny PROTOKOLL --ram RAM (slag: internkontroll).")
    answers = store.answers_frame(audit_id)
    record = dict(audit.sample_record) if audit.sample_record else None
    population = (record or {}).get("N_totalt")
    planned = {c["id"]: c["n"] for c in (record or {}).get("kontroller", [])}
    results = []
    for c in proto.controls:
        q = chk.question(c.question)
        values = answers[c.question].tolist() if c.question in answers.columns else []
        results.append(evaluate(c, values, excluded=tuple(q.hindrances) + tuple(q.not_applicable),
                                population=population, planned=planned.get(c.id)))
    survey_title, respondents, survey = None, 0, ()
    if survey_id is not None:
        if survey_id == audit_id:
            raise InputError("--enkat ska vara enkätens granskning, inte internkontrollens.")
        survey_title, respondents, survey = survey_results(store, survey_id)
    return InternalControlSummary(audit_id, proto.title, tuple(results), survey_id, survey_title,
                                  respondents, survey, record)
