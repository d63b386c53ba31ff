"""Cases found outside the population: domain estimation (``granskning utanfor``).

A drawn case that turns out to be outside the population (wrong age, wrong
decision, a duplicate) is neither an answer nor non-response.  The sampling
frame was larger than the population the audit is about, and the population
is a *domain* of the frame (Lohr, *Sampling: Design and Analysis*, 2nd ed.,
§4.5 "Estimation in domains"; Särndal, Swensson & Wretman, *Model Assisted
Survey Sampling*, §10.3):

* the examined cases of stratum h, n_h, are every case read there: those
  answered and those found outside (o_h of them).  Unanswered cases are
  non-response and, as before, not part of n_h;
* every examined case keeps the weight N_h / n_h; the cases outside are rows
  of the design with no value (outside every indicator's domain), exactly as
  R's ``survey`` estimates on ``subset(design, inside)``;
* so each stratum's estimated population size shrinks by the observed share
  outside it: N̂_h = N_h · (1 − o_h / n_h), the sum of the weights of the cases
  inside.  The estimate of a rate is Σ_h N̂_h p̂_h / Σ_h N̂_h, and its standard
  error counts the randomness of the domain's size (the linearisation of the
  ratio over all n_h rows, with the finite population correction 1 − n_h/N_h).

The reserves that replace the cases outside are the continuation of the same
random order of the frame, so the examined cases of a stratum stay a simple
random sample of it.  Without population sizes no estimate is made and the
cases outside are only counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from granskning.fmt import heltal
from granskning.wording import antal

__all__ = ["Outside", "design_rows", "outside_sentence"]


@dataclass(frozen=True, slots=True)
class Outside:
    """How many examined cases of each stratum were outside the population."""

    per_stratum: dict[str, int]  # o_h, strata with at least one case outside
    examined: dict[str, int]  # n_h: answered cases plus the cases outside, every stratum
    sizes: dict[str, float] | None  # N_h from the draw record; None: no estimate
    replaced: int = 0  # how many of them a reserve replaced

    @property
    def total(self) -> int:
        """Return the number of cases found outside the population."""
        return sum(self.per_stratum.values())

    def estimated_sizes(self) -> dict[str, float] | None:
        """Return N̂_h = N_h · (1 − o_h/n_h) for every stratum with N_h (None without sizes)."""
        if self.sizes is None:
            return None
        out = {}
        for stratum, size in self.sizes.items():
            n = self.examined.get(stratum, 0)
            o = self.per_stratum.get(stratum, 0)
            out[stratum] = size * (1 - o / n) if n else size
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """Return the counts and the estimated sizes (keys in docs/analys.md)."""
        estimated = self.estimated_sizes() or {}
        strata = sorted(set(self.examined) | set(self.per_stratum))
        return {
            "antal": self.total,
            "ersatta_av_reserver": self.replaced,
            "per_stratum": {
                h: {"utanfor": self.per_stratum.get(h, 0), "granskade": self.examined.get(h, 0),
                    "N": None if self.sizes is None else self.sizes.get(h),
                    "N_skattad": estimated.get(h)}
                for h in strata
            },
        }


def design_rows(outside: Mapping[str, int], sizes: Mapping[str, float]) -> list[tuple[str, float]]:
    """Return one (stratum, N_h) design row per case outside, for strata with a known N_h."""
    return [(h, float(sizes[h])) for h, o in sorted(outside.items()) if h in sizes for _ in range(o)]


def outside_sentence(outside: Outside, *, estimate: bool) -> str:
    """Return the method section's sentence about the cases outside (Swedish).

    ``estimate``: whether the report makes a design-based estimate (then the
    rule for the population sizes is stated, with the estimated total).
    """
    o, r = outside.total, outside.replaced
    if r >= o:
        first = (f"{antal(o, 'ärende')} låg utanför granskningen och "
                 f"{'ersattes av en reserv' if o == 1 else 'ersattes av reserver'} ur samma stratum.")
    elif r == 0:
        first = f"{antal(o, 'ärende')} låg utanför granskningen; ingen reserv togs in i stället."
    else:
        first = (f"{antal(o, 'ärende')} låg utanför granskningen; {heltal(r)} av dem "
                 "ersattes av reserver ur samma stratum.")
    text = first + " De räknas varken som svar eller som bortfall."
    estimated = outside.estimated_sizes()
    if estimate and estimated:
        before = sum(outside.sizes.values()) if outside.sizes else 0
        text += (" Populationens storlek i varje stratum skattas därför som N·(1 − o/n), där o är "
                 "antalet ärenden utanför granskningen bland de n som granskades i stratumet "
                 f"(domänskattning): totalt cirka {antal(round(sum(estimated.values())), 'ärende')} "
                 f"av {heltal(round(before))} i ramen. Skattningarna avser ärendena inom granskningen.")
    return text
