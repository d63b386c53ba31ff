"""The internal-control plan as data: risks on the VoR matrix and the controls that answer them.

A risk has a probability (``sannolikhet``) and a consequence (``konsekvens``), each an
integer on the matrix's scale (1–4 by default); its risk value is their product, and the
plan's rule ``kontroll_fran`` says from which risk value a risk needs a control.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FREQUENCIES", "METHODS", "PERIODS", "Control", "Plan", "Risk"]

# Frequency key -> the words a manager reads.
FREQUENCIES: dict[str, str] = {
    "manadsvis": "månadsvis",
    "kvartalsvis": "kvartalsvis",
    "tertialvis": "tertialvis",
    "halvarsvis": "halvårsvis",
    "var_och_host": "vår och höst",
    "arsvis": "årsvis",
}
# Method key -> the words a manager reads.
METHODS: dict[str, str] = {
    "stickprov": "stickprov",
    "enkat": "enkät",
    "registeruttag": "registeruttag",
    "genomgang": "genomgång",
}
# The reporting periods of the city's follow-up: tertial reports 1 and 2 and the year-end
# report (verksamhetsberättelse).
PERIODS: tuple[str, ...] = ("T1", "T2", "VB")


@dataclass(frozen=True, slots=True)
class Risk:
    """One undesired event of the risk analysis (väsentlighets- och riskanalys)."""

    id: str
    title: str
    probability: int
    consequence: int
    line: int = 0

    @property
    def value(self) -> int:
        """The risk value: probability × consequence."""
        return self.probability * self.consequence


@dataclass(frozen=True, slots=True)
class Control:
    """One control of the plan: what is checked, in what, how, how often and by whom."""

    id: str
    what: str
    population: str
    method: str
    frequency: str
    owner: str
    periods: tuple[str, ...]
    risks: tuple[str, ...] = ()
    tolerable: float | None = None
    target: float | None = None
    description: str | None = None
    line: int = 0

    @property
    def frequency_text(self) -> str:
        return FREQUENCIES[self.frequency]

    @property
    def method_text(self) -> str:
        return METHODS[self.method]


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated internal-control plan."""

    id: str
    title: str
    unit: str | None
    year: int | None
    scale: int
    threshold: int
    risks: tuple[Risk, ...]
    controls: tuple[Control, ...]
    source: str | None = None

    def control(self, control_id: str) -> Control | None:
        """Return the control with this id (None if there is none)."""
        return next((c for c in self.controls if c.id == control_id), None)

    def needs_control(self, risk: Risk) -> bool:
        """Whether the plan's rule says this risk must be answered by a control."""
        return risk.value >= self.threshold

    def controls_of(self, risk_id: str) -> tuple[Control, ...]:
        """The controls that answer a risk."""
        return tuple(c for c in self.controls if risk_id in c.risks)

    def uncovered(self) -> tuple[Risk, ...]:
        """Risks whose value needs a control that no control answers."""
        return tuple(r for r in self.risks if self.needs_control(r) and not self.controls_of(r.id))
