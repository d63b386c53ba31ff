"""The deviation log: add an entry, read the entries (a mixin of :class:`~granskning.store.database.Store`).

Categories are checked by :mod:`granskning.plan.deviations` before they get here; the
store checks what it must guard itself: the free text (unit, measures, description) never
holds a personnummer, and the log is only appended to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from granskning.errors import InputError
from granskning.store.base import StoreBase, sql
from granskning.store.records import person
from granskning.store.values import refuse_personnummer

__all__ = ["DeviationsMixin"]

_TEXTS = {"unit": "enheten", "measures": "åtgärden", "description": "beskrivningen",
          "category": "kategorin", "source": "källan", "concerns": "vem avvikelsen avser"}
_FIELDS = ("occurred_on", "kind", "category", "source", "concerns", "unit", "reported_ivo",
           "feedback", "measures", "description")
_ADVICE = ("skriv aldrig personuppgifter i loggen (den redovisas i tertialrapporter och "
           "verksamhetsberättelsen); beskriv händelsen utan att peka ut någon.")


class DeviationsMixin(StoreBase):
    """Store methods about the deviation log."""

    def add_deviation(self, values: Mapping[str, Any], created_by: str) -> int:
        """Append one entry (keys as the columns of ``deviation_log``) and return its id."""
        sa, s = sql()
        self._require_schema()
        row = {k: values.get(k) for k in _FIELDS}
        if not isinstance(row["occurred_on"], dt.date) or row["kind"] not in s.DEVIATION_KINDS:
            raise InputError("En post i avvikelseloggen behöver datum och typ.")
        for key, what in _TEXTS.items():
            refuse_personnummer(row[key], what, advice=_ADVICE)
        row["reported_ivo"] = bool(row["reported_ivo"])
        row["feedback"] = bool(row["feedback"])
        with self._tx(write=True) as conn:
            result = conn.execute(sa.insert(s.deviation_log).values(
                **row, created_at=dt.datetime.now(dt.UTC), created_by=person(created_by, "vem")))
            return int(result.inserted_primary_key[0])

    def deviations(self, year: int | None = None) -> list[dict[str, Any]]:
        """Return the entries (of ``year``, or all), by date and then id, as dicts."""
        sa, s = sql()
        self._require_schema()
        t = s.deviation_log
        query = sa.select(t).order_by(t.c.occurred_on, t.c.id)
        if year is not None:
            query = query.where(t.c.occurred_on >= dt.date(year, 1, 1),
                                t.c.occurred_on <= dt.date(year, 12, 31))
        with self._tx(write=False) as conn:
            rows = conn.execute(query).mappings().all()
        return [dict(r) for r in rows]
