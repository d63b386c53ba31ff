"""Durable storage of audits, sampled cases, assignments and answers.

One entry point, one URL: :meth:`Store.open` takes ``--db``, then the
environment variable ``GRANSKNING_DB``, then the SQLite file ``granskning.db``
in the current directory; ``postgresql://…`` URLs run the same code on
PostgreSQL (through psycopg 3).  Every answer is committed in its own short
transaction before :meth:`Store.set_answer` returns, together with a row in the
append-only answer history.

SQLite settings (WAL, synchronous=FULL, 0600 files) are explained in
:mod:`granskning.store.engine`.

SQLAlchemy and pandas are imported inside the methods that need them.
"""

from __future__ import annotations

import json
import math
import operator
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from granskning import __version__
from granskning.errors import InputError, ManyInputErrors, StoreError
from granskning.store.engine import (
    DEFAULT_FILE,
    ENV_VAR,
    WRITE,
    connect_error,
    create_engine,
    engine_url,
    first_line,
)
from granskning.store.values import (
    case_key,
    case_records,
    case_row,
    decode,
    encode,
    encode_answer,
    refuse_personnummer,
    required_text,
    show_case_id,
)

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

PNR_SHAPE = re.compile(r"(\d{2})?\d{6}[-+]?\d{4}")
MAX_AUDIT_ID = 2**31 - 1  # audits.id is a 32-bit INTEGER on PostgreSQL

__all__ = [
    "Answer",
    "Audit",
    "Case",
    "ConflictError",
    "Progress",
    "SchemaStep",
    "Store",
    "show_case_id",
]


@dataclass(frozen=True, slots=True)
class Audit:
    """An audit (granskning) or internal-control round and its sample record."""

    id: int
    title: str
    kind: str
    protocol_text: str | None
    checklist_id: str | None
    checklist_version: str | None
    checklist_sha256: str | None
    sample_record: dict[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Case:
    """A sampled case with its assignment (reviewer and status, if assigned)."""

    audit_id: int
    case_id: str
    stratum: str | None
    sex: str | None
    age: int | None
    design_weight: float | None
    inclusion_probability: float | None
    draw_order: int | None
    reserve: bool
    case_worker: str | None
    reviewer: str | None
    status: str | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Answer:
    """The stored answer to one question; ``value`` is None when it was deleted."""

    question_id: str
    value: Any
    version: int
    changed_at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True)
class Progress:
    """Cases done and cases in total; unpacks as ``done, total``."""

    done: int
    total: int

    def __iter__(self) -> Iterator[int]:
        yield self.done
        yield self.total


@dataclass(frozen=True, slots=True)
class SchemaStep:
    """A schema migration; ``applied_at`` is None while it is pending."""

    version: int
    description: str
    applied_at: datetime | None = None
    tool_version: str | None = None


class ConflictError(StoreError):
    """The answer changed since the caller read it (optimistic concurrency)."""

    def __init__(
        self,
        *,
        case_id: str,
        question_id: str,
        expected_version: int,
        current: Answer | None,
    ) -> None:
        self.case_id = case_id
        self.question_id = question_id
        self.expected_version = expected_version
        self.current_version = current.version if current else 0
        self.current_value = current.value if current else None
        self.changed_by = current.changed_by if current else None
        self.changed_at = current.changed_at if current else None
        where = f'Svaret på fråga "{question_id}" i ärende {show_case_id(case_id)}'
        if current is None:
            text = f"{where} finns inte (du utgick från version {expected_version})."
        else:
            what = "har tagits bort" if current.value is None else "har ändrats"
            when = current.changed_at.astimezone().strftime("%Y-%m-%d %H:%M")
            text = (
                f"{where} {what} av {current.changed_by} {when} "
                f"(version {current.version}, du utgick från version {expected_version})."
            )
        super().__init__(text)


class _IntegrityStoreError(StoreError):
    """A constraint violation; set_answer turns a racing insert into a conflict."""


class Store:
    """A connection to the answer database (SQLite or PostgreSQL)."""

    def __init__(self, engine: sa.Engine, display_url: str) -> None:
        self._engine = engine
        self.display_url = display_url
        self._schema_ok = False
        self._user: str | None = None

    # -- opening, schema --------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = False) -> Store:
        """Return a Store for ``url``, ``$GRANSKNING_DB`` or ``./granskning.db``.

        A SQLite file must already exist and be a SQLite database (StoreError,
        exit 2, otherwise: a misspelt path never becomes a new empty database);
        with ``create=True`` (``granskning db init``) a missing file is created.
        Refuses a database whose schema is newer than this tool knows, and with
        ``create`` a SQLite file that holds someone else's tables.  Does not
        create or migrate the schema: see :meth:`migrate`.
        """
        from granskning.store import migrations as mig

        if url is not None and not url.strip():
            # An empty --db "$DB" from a script must not fall back to ./granskning.db.
            raise InputError(
                "--db är tom: ange en databas (en filväg eller postgresql://…), "
                "eller utelämna --db för att använda GRANSKNING_DB eller granskning.db."
            )
        if url:
            raw, source = url, "--db"
        elif os.environ.get(ENV_VAR):
            raw, source = os.environ[ENV_VAR], f"miljövariabeln {ENV_VAR}"
        else:
            raw, source = DEFAULT_FILE, f"standardfilen {DEFAULT_FILE} i aktuell katalog"
        sa_url = engine_url(raw)
        display = sa_url.database if sa_url.get_backend_name() == "sqlite" else None
        engine = create_engine(sa_url, create=create, source=source)
        store = cls(engine, display or sa_url.render_as_string(hide_password=True))
        try:
            version = store.schema_version()
            if version == 0 and create and store.dialect == "sqlite" and store._tables():
                raise StoreError(
                    f"{store.display_url} är en SQLite-databas med andra tabeller än "
                    "granskningens. Välj en ny fil för granskningens databas."
                )
            if version > mig.LATEST:
                raise StoreError(
                    f"Databasen {store.display_url} har schemaversion {version}, men den här "
                    f"versionen av granskning ({__version__}) känner bara till version "
                    f"{mig.LATEST}. Uppgradera granskning innan du använder databasen."
                )
        except BaseException:
            store.close()
            raise
        return store

    @property
    def dialect(self) -> str:
        """Return the database kind: ``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    def database_user(self) -> str | None:
        """Return the PostgreSQL user this store is connected as (None on SQLite)."""
        if self.dialect == "sqlite":
            return None
        if self._user is None:
            with self._tx(write=False) as conn:
                self._user = str(conn.exec_driver_sql("SELECT current_user").scalar_one())
        return self._user

    def database_role(self) -> str | None:
        """Return ``"samordnare"`` or ``"granskare"`` on PostgreSQL (None on SQLite).

        See :mod:`granskning.store.identity` for the rule.
        """
        if self.dialect == "sqlite":
            return None
        from granskning.store import roles as store_roles

        with self._tx(write=False) as conn:
            return store_roles.role_of_current_user(conn)

    def setup_roles(self) -> tuple[str, ...]:
        """Create the group roles (if missing) and grant them their rights; PostgreSQL only.

        Returns the roles created now.  Safe to run again (after a migration,
        it grants the rights on new tables).
        """
        from granskning.store import roles as store_roles

        self._require_postgres("Roller")
        self._require_schema()
        with self._tx(write=True) as conn:
            created = store_roles.create_groups(conn)
            store_roles.grant(conn)
        return created

    def add_user(self, name: str, role: str, *, password: str | None = None) -> bool:
        """Create a login role in the group for ``role`` (or add an existing one); PostgreSQL only.

        Returns True when the login role was created, False when it existed.
        """
        from granskning.store import roles as store_roles

        self._require_postgres("Användare")
        with self._tx(write=True) as conn:
            return store_roles.add_user(conn, name, role, password=password)

    def unknown_logins(self, names: list[str]) -> list[str]:
        """Return the names that are not login roles on this PostgreSQL server ([] on SQLite)."""
        if self.dialect == "sqlite" or not names:
            return []
        with self._tx(write=False) as conn:
            found = set(
                conn.exec_driver_sql(
                    "SELECT rolname FROM pg_catalog.pg_roles WHERE rolcanlogin "
                    "AND rolname = ANY(%(names)s)",
                    {"names": list(names)},
                ).scalars()
            )
        return [n for n in names if n not in found]

    def roles_ready(self) -> bool:
        """Return True when the group roles exist (PostgreSQL); False on SQLite."""
        if self.dialect == "sqlite":
            return False
        from granskning.store import roles as store_roles

        with self._tx(write=False) as conn:
            return store_roles.groups_exist(conn)

    def close(self) -> None:
        self._engine.dispose()

    def _tables(self) -> list[str]:
        """Return the names of the tables in the database (current schema)."""
        import sqlalchemy as sa

        with self._tx(write=False) as conn:
            return sorted(sa.inspect(conn).get_table_names())

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """Return the schema version of the database (0 = no schema yet)."""
        from granskning.store import migrations as mig

        with self._tx(write=False) as conn:
            return mig.current_version(conn)

    def schema_steps(self) -> tuple[tuple[SchemaStep, ...], tuple[SchemaStep, ...]]:
        """Return (applied, pending) migrations."""
        import sqlalchemy as sa

        from granskning.store import migrations as mig
        from granskning.store import schema as s

        with self._tx(write=False) as conn:
            version = mig.current_version(conn)
            rows = []
            if version:
                t = s.schema_version
                rows = conn.execute(sa.select(t).order_by(t.c.version)).all()
        applied = tuple(
            SchemaStep(r.version, r.description, r.applied_at, r.tool_version) for r in rows
        )
        return applied, tuple(SchemaStep(m.version, m.description) for m in mig.pending(version))

    def migrate(self, target: int | None = None) -> tuple[SchemaStep, ...]:
        """Bring the schema forward (to ``target``, default the newest); return what was applied.

        Safe to run again: a database already at the target is left alone.
        """
        import sqlalchemy as sa

        from granskning.store import migrations as mig

        self._schema_ok = False
        try:
            done = mig.apply(self._engine, target=target, write={WRITE: True})
        except sa.exc.DBAPIError as exc:
            raise StoreError(
                f"Migreringen av {self.display_url} misslyckades och rullades tillbaka: "
                f"{first_line(exc.orig)}"
            ) from exc
        return tuple(SchemaStep(m.version, m.description) for m in done)

    def init(self) -> tuple[SchemaStep, ...]:
        """Create the schema in an empty database (same as :meth:`migrate`)."""
        return self.migrate()

    def table_counts(self) -> dict[str, int]:
        """Return the number of rows per table (for ``granskning db status``)."""
        sa, s = _sql()
        self._require_schema()
        tables = (s.audits, s.cases, s.assignments, s.answers, s.answer_history, s.change_log)
        with self._tx(write=False) as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in tables
            }

    # -- audits and cases -------------------------------------------------

    def create_audit(
        self,
        title: str,
        kind: str,
        checklist_id: str | None,
        checklist_version: str | None,
        checklist_sha256: str | None,
        protocol_text: str | None,
        sample_record: Mapping[str, Any] | None,
        created_by: str,
    ) -> int:
        """Store a new audit and return its id."""
        sa, s = _sql()
        self._require_schema()
        title = required_text(title, "titel", limit=2000)
        refuse_personnummer(title, "titeln")
        refuse_personnummer(sample_record, "urvalsprotokollet", numbers=False)
        if kind not in s.KINDS:
            raise InputError(f'Okänd typ "{kind}": välj granskning eller internkontroll.')
        if checklist_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", checklist_sha256):
            raise InputError("Checklistans sha256 ska vara 64 hexadecimala tecken (gemener).")
        record = encode(dict(sample_record or {}), what="urvalsprotokollet")
        created_by = _person(created_by, "skapad av")
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            result = conn.execute(
                sa.insert(s.audits).values(
                    title=title,
                    kind=kind,
                    protocol_text=protocol_text,
                    checklist_id=checklist_id,
                    checklist_version=checklist_version,
                    checklist_sha256=checklist_sha256,
                    sample_record=record,
                    created_at=now,
                    created_by=created_by,
                )
            )
            audit_id = int(result.inserted_primary_key[0])
            about = {"titel": title, "slag": kind, "checklista": checklist_id,
                     "checklistversion": checklist_version}
            _log(conn, audit_id, None, "granskning", None, about, created_by, now)
            return audit_id

    def audit(self, audit_id: int) -> Audit:
        """Return one audit; InputError if there is none with that id."""
        sa, s = _sql()
        self._require_schema()
        self._known_id(audit_id)
        with self._tx(write=False) as conn:
            row = conn.execute(sa.select(s.audits).where(s.audits.c.id == audit_id)).first()
        if row is None:
            raise InputError(f"Granskning {audit_id} finns inte i databasen {self.display_url}.")
        return _audit(row)

    def audits(self) -> list[Audit]:
        """Return every audit, oldest first."""
        sa, s = _sql()
        self._require_schema()
        with self._tx(write=False) as conn:
            rows = conn.execute(sa.select(s.audits).order_by(s.audits.c.id)).all()
        return [_audit(r) for r in rows]

    def add_cases(self, audit_id: int, cases: Any, *, who: str | None = None) -> int:
        """Add sampled cases (list of dicts or a DataFrame) to an audit; return how many.

        Keys/columns used: ``case_id`` (required, unique within the audit),
        ``stratum``, ``sex``, ``age``, ``design_weight``,
        ``inclusion_probability``, ``draw_order``, ``reserve``, ``case_worker``;
        other columns are ignored.  All rows are checked before any is stored.
        A case id that is a valid personnummer is refused: ids are stored as
        pseudonyms (:mod:`granskning.audit.pseudonym`; ``granskning ny`` makes them).
        ``who`` (default: :func:`granskning.store.identity.current`) is written to the
        audit's history.
        """
        sa, s = _sql()
        self._require_schema()
        records = case_records(cases)
        rows: list[dict[str, Any]] = []
        errors: list[InputError] = []
        first_row: dict[str, int] = {}
        for i, rec in enumerate(records):
            try:
                row = case_row(rec, i + 2)
            except InputError as exc:
                errors.append(exc)
                continue
            if looks_like_personnummer(row["case_id"]):
                errors.append(
                    InputError(
                        f"ärende-id {show_case_id(row['case_id'])} är ett personnummer; "
                        "skapa granskningen med granskning ny, som sparar en pseudonym i "
                        "stället",
                        row=i + 2,
                        column="case_id",
                    )
                )
                continue
            if row["case_id"] in first_row:
                errors.append(
                    InputError(
                        f"ärende-id {show_case_id(row['case_id'])} finns redan på rad "
                        f"{first_row[row['case_id']]}",
                        row=i + 2,
                        column="case_id",
                    )
                )
                continue
            first_row[row["case_id"]] = i + 2
            rows.append({"audit_id": audit_id, **row})
        if errors:
            raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
        if not rows:
            return 0
        who = self._who(who)
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            stored = set(
                conn.execute(
                    sa.select(s.cases.c.case_id).where(s.cases.c.audit_id == audit_id)
                ).scalars()
            )
            clash = [r["case_id"] for r in rows if r["case_id"] in stored]
            if clash:
                shown = ", ".join(show_case_id(c) for c in clash[:5])
                more = f" och {len(clash) - 5} till" if len(clash) > 5 else ""
                raise InputError(f"Ärendena {shown}{more} finns redan i granskning {audit_id}.")
            conn.execute(sa.insert(s.cases), rows)
            n_reserves = sum(bool(r["reserve"]) for r in rows)
            added = {"antal": len(rows) - n_reserves, "reserver": n_reserves}
            _log(conn, audit_id, None, "ärenden", None, added, who, datetime.now(UTC))
        return len(rows)

    def cases(self, audit_id: int, reviewer: str | None = None) -> list[Case]:
        """Return the cases of an audit (only ``reviewer``'s when given).

        Sorted by reserve flag, stratum, draw order and case id, in Python so the
        order is the same on every database and collation.
        """
        sa, s = _sql()
        self._require_schema()
        c, a = s.cases, s.assignments
        query = (
            sa.select(c, a.c.reviewer, a.c.status, a.c.finished_at)
            .select_from(
                c.outerjoin(a, sa.and_(a.c.audit_id == c.c.audit_id, a.c.case_id == c.c.case_id))
            )
            .where(c.c.audit_id == audit_id)
        )
        if reviewer is not None:
            query = query.where(a.c.reviewer == reviewer)
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        found = [
            Case(
                audit_id=r.audit_id,
                case_id=r.case_id,
                stratum=r.stratum,
                sex=r.sex,
                age=r.age,
                design_weight=r.design_weight,
                inclusion_probability=r.inclusion_probability,
                draw_order=r.draw_order,
                reserve=bool(r.reserve),
                case_worker=r.case_worker,
                reviewer=r.reviewer,
                status=r.status,
                finished_at=r.finished_at,
            )
            for r in rows
        ]
        return sorted(found, key=case_sort_key)

    def cases_frame(self, audit_id: int) -> pd.DataFrame:
        """Return the cases of an audit as a DataFrame, one row per case."""
        import pandas as pd

        columns = list(Case.__dataclass_fields__)
        return pd.DataFrame([asdict(c) for c in self.cases(audit_id)], columns=columns)

    # -- assignment -------------------------------------------------------

    def assign(self, audit_id: int, mapping: Mapping[Any, str], *, who: str | None = None) -> int:
        """Assign cases to reviewers; return how many assignments were written.

        A case already assigned to the same reviewer is left alone; a case that
        is already reviewed (status klar) is never moved to another reviewer.
        Every assignment written gets a history row signed by ``who`` (default:
        :func:`granskning.store.identity.current`).
        """
        sa, s = _sql()
        self._require_schema()
        wanted = {case_key(k): required_text(v, "granskare") for k, v in mapping.items()}
        for name in wanted.values():
            refuse_personnummer(name, "granskarens namn")
        who = self._who(who)
        a = s.assignments
        now = datetime.now(UTC)
        written = 0
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            known = set(
                conn.execute(
                    sa.select(s.cases.c.case_id).where(s.cases.c.audit_id == audit_id)
                ).scalars()
            )
            unknown = [k for k in wanted if k not in known]
            if unknown:
                raise InputError(
                    f"Ärendet {show_case_id(unknown[0])} finns inte i granskning {audit_id}."
                )
            existing = {
                r.case_id: r for r in conn.execute(sa.select(a).where(a.c.audit_id == audit_id))
            }
            for case_id, reviewer in wanted.items():
                old = existing.get(case_id)
                if old is None:
                    conn.execute(
                        sa.insert(a).values(
                            audit_id=audit_id,
                            case_id=case_id,
                            reviewer=reviewer,
                            status="pågår",
                            assigned_at=now,
                        )
                    )
                elif old.reviewer == reviewer:
                    continue
                elif old.status == "klar":
                    raise InputError(
                        f"Ärendet {show_case_id(case_id)} är redan granskat av {old.reviewer} "
                        "och kan inte tilldelas någon annan."
                    )
                else:
                    conn.execute(
                        sa.update(a)
                        .where(a.c.audit_id == audit_id, a.c.case_id == case_id)
                        .values(reviewer=reviewer, assigned_at=now)
                    )
                before = None if old is None else old.reviewer
                _log(conn, audit_id, case_id, "tilldelning", before, reviewer, who, now)
                written += 1
        return written

    def mark_done(self, audit_id: int, case_id: Any, who: str) -> None:
        """Mark a case as reviewed (status klar); an unassigned case is assigned to ``who``."""
        sa, s = _sql()
        self._require_schema()
        case_id, who = case_key(case_id), _person(who, "vem")
        a = s.assignments
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            self._check_case(conn, audit_id, case_id)
            before = conn.execute(
                sa.select(a.c.status).where(a.c.audit_id == audit_id, a.c.case_id == case_id)
            ).scalar()
            if before != "klar":
                _log(conn, audit_id, case_id, "status", before, "klar", who, now)
            updated = conn.execute(
                sa.update(a)
                .where(a.c.audit_id == audit_id, a.c.case_id == case_id)
                .values(status="klar", finished_at=now, finished_by=who)
            )
            if updated.rowcount == 0:
                conn.execute(
                    sa.insert(a).values(
                        audit_id=audit_id,
                        case_id=case_id,
                        reviewer=who,
                        status="klar",
                        assigned_at=now,
                        finished_at=now,
                        finished_by=who,
                    )
                )

    def progress(self, audit_id: int, reviewer: str | None = None) -> Progress:
        """Return (done, total): ``reviewer``'s assigned cases, or all cases to review.

        Without a reviewer the total counts the non-reserve cases plus any
        reserve case that has been assigned.
        """
        cases = self.cases(audit_id, reviewer)
        if reviewer is None:
            cases = [c for c in cases if not c.reserve or c.reviewer is not None]
        return Progress(sum(c.status == "klar" for c in cases), len(cases))

    # -- answers ----------------------------------------------------------

    def set_answer(
        self,
        audit_id: int,
        case_id: Any,
        question_id: str,
        value: Any,
        *,
        who: str,
        expected_version: int | None = None,
    ) -> int:
        """Store an answer, commit it, and return its new version number.

        The history row is written in the same transaction.  Setting the value
        an answer already has changes nothing and returns its version.  With
        ``expected_version`` (0 = "no answer yet") a different stored version
        raises :class:`ConflictError`.  Motivations are ordinary questions named
        ``<id>__motivering``.
        """
        if value is None:
            raise InputError("Ett svar kan inte vara tomt; ta bort svaret i stället.")
        return self._write_answer(
            audit_id, case_id, question_id, encode_answer(value), who, expected_version
        )

    def delete_answer(
        self,
        audit_id: int,
        case_id: Any,
        question_id: str,
        *,
        who: str,
        expected_version: int | None = None,
    ) -> int:
        """Delete an answer (recorded in the history) and return the new version number.

        Deleting an answer that does not exist changes nothing and returns its
        current version (0 if it never existed).
        """
        return self._write_answer(audit_id, case_id, question_id, None, who, expected_version)

    def answer(self, audit_id: int, case_id: Any, question_id: str) -> Answer | None:
        """Return the stored answer with its version (value None if deleted), or None."""
        self._require_schema()
        with self._tx(write=False) as conn:
            return self._read_answer(conn, audit_id, case_key(case_id), question_id)

    def answer_versions(
        self, audit_id: int, case_id: Any | None = None
    ) -> dict[tuple[str, str], Answer]:
        """Return (case id, question id) -> stored answer, deleted ones included (value None).

        What a caller read, to pass on as ``expected_version`` when it writes.
        """
        sa, s = _sql()
        self._require_schema()
        t = s.answers
        query = sa.select(t).where(t.c.audit_id == audit_id)
        if case_id is not None:
            query = query.where(t.c.case_id == case_key(case_id))
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        return {(r.case_id, r.question_id): _answer(r) for r in rows}

    def answers(self, audit_id: int, case_id: Any) -> dict[str, Any]:
        """Return the current answers of one case: question id -> value."""
        sa, s = _sql()
        self._require_schema()
        case_id = case_key(case_id)
        t = s.answers
        with self._tx(write=False) as conn:
            self._check_case(conn, audit_id, case_id)
            rows = conn.execute(
                sa.select(t.c.question_id, t.c.value).where(
                    t.c.audit_id == audit_id, t.c.case_id == case_id, t.c.value.is_not(None)
                )
            ).all()
        return {q: json.loads(v) for q, v in sorted(rows)}

    def answers_frame(self, audit_id: int) -> pd.DataFrame:
        """Return one row per case and one column per question (object dtype values).

        Rows: every non-reserve case and any reserve case with answers, in case
        order; columns: ``case_id`` then the question ids, sorted.  Missing
        answers are None.
        """
        import pandas as pd

        sa, s = _sql()
        t = s.answers
        cases = self.cases(audit_id)
        with self._tx(write=False) as conn:
            rows = conn.execute(
                sa.select(t.c.case_id, t.c.question_id, t.c.value).where(
                    t.c.audit_id == audit_id, t.c.value.is_not(None)
                )
            ).all()
        by_case: dict[str, dict[str, Any]] = {}
        for case_id, qid, value in rows:
            by_case.setdefault(case_id, {})[qid] = json.loads(value)
        questions = sorted({qid for _, qid, _ in rows})
        keep = [c.case_id for c in cases if not c.reserve or c.case_id in by_case]
        frame = pd.DataFrame(
            [[by_case.get(cid, {}).get(q) for q in questions] for cid in keep],
            columns=questions,
            dtype=object,
        )
        frame.insert(0, "case_id", pd.Series(keep, dtype=object))
        return frame

    def history(self, audit_id: int, case_id: Any | None = None) -> pd.DataFrame:
        """Return the answer history (oldest first): who changed what, when, old and new."""
        _sa, s = _sql()
        return self._trail(s.answer_history, audit_id, case_id, keep=("old_value", "new_value"))

    def changes(self, audit_id: int, case_id: Any | None = None) -> pd.DataFrame:
        """Return the trail of the audit, its cases and assignments (oldest first).

        Columns: those of ``change_log``; ``old_value``/``new_value`` decoded from JSON.
        With ``case_id``, only rows about that case.
        """
        _sa, s = _sql()
        return self._trail(s.change_log, audit_id, case_id, keep=("case_id", "old_value", "new_value"))

    def _trail(self, table: Any, audit_id: int, case_id: Any | None, *, keep: tuple[str, ...]) -> pd.DataFrame:
        """Return the rows of a history table for an audit (and case), JSON values decoded.

        The ``keep`` columns are kept as Python objects (None stays None, bools stay bools).
        """
        import pandas as pd

        sa, _s = _sql()
        self._require_schema()
        query = sa.select(table).where(table.c.audit_id == audit_id).order_by(table.c.id)
        if case_id is not None:
            query = query.where(table.c.case_id == case_key(case_id))
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        columns = [c.name for c in table.columns]
        records = [
            {**r._asdict(), "old_value": decode(r.old_value), "new_value": decode(r.new_value)}
            for r in rows
        ]
        frame = pd.DataFrame(records, columns=columns)
        for col in keep:
            frame[col] = pd.Series([r[col] for r in records], index=frame.index, dtype=object)
        return frame

    # -- internals --------------------------------------------------------

    def set_answers(
        self,
        audit_id: int,
        changes: Any,
        *,
        who: str,
        expected_versions: Mapping[tuple[Any, str], int] | None = None,
    ) -> int:
        """Store several answers in one transaction, all or none; return how many changed.

        ``changes`` is an iterable of ``(case_id, question_id, value)``; a value of
        None deletes the answer.  Each change gets its history row, as with
        :meth:`set_answer`.  ``expected_versions`` maps ``(case_id, question_id)``
        to the version the caller read (0 = no answer); any difference raises
        :class:`ConflictError` and nothing is stored.
        """
        self._require_schema()
        who = _person(who, "vem")
        items = [
            (
                case_key(case_id),
                required_text(question_id, "fråge-id"),
                None if value is None else encode_answer(value),
            )
            for case_id, question_id, value in changes
        ]
        expected = {
            (case_key(c), q): v for (c, q), v in (expected_versions or {}).items()
        }
        for _attempt in range(3):
            try:
                changed = 0
                with self._tx(write=True) as conn:
                    for case_id in dict.fromkeys(c for c, _q, _v in items):
                        self._check_case(conn, audit_id, case_id)
                    for case_id, question_id, new_text in items:
                        _version, did_change = self._apply_answer(
                            conn, audit_id, case_id, question_id, new_text, who,
                            expected.get((case_id, question_id)),
                        )
                        changed += did_change
                return changed
            except _IntegrityStoreError:
                # Another session inserted one of these answers first (PostgreSQL,
                # where FOR UPDATE cannot lock a row that does not exist yet): try
                # again, and a stale expected version then raises ConflictError.
                continue
        raise StoreError("Svaren kunde inte sparas; försök igen.")

    def _write_answer(
        self,
        audit_id: int,
        case_id: Any,
        question_id: str,
        new_text: str | None,
        who: str,
        expected_version: int | None,
    ) -> int:
        self._require_schema()
        case_id, who = case_key(case_id), _person(who, "vem")
        question_id = required_text(question_id, "fråge-id")
        if expected_version is not None and (
            not isinstance(expected_version, int) or expected_version < 0
        ):
            raise InputError("expected_version ska vara ett heltal ≥ 0.")
        for _attempt in range(3):
            try:
                with self._tx(write=True) as conn:
                    self._check_case(conn, audit_id, case_id)
                    version, _changed = self._apply_answer(
                        conn, audit_id, case_id, question_id, new_text, who, expected_version
                    )
                    return version
            except _IntegrityStoreError:
                # Another session inserted the same answer first (PostgreSQL,
                # where FOR UPDATE cannot lock a row that does not exist yet).
                if expected_version is not None:
                    raise ConflictError(
                        case_id=case_id,
                        question_id=question_id,
                        expected_version=expected_version,
                        current=self.answer(audit_id, case_id, question_id),
                    ) from None
        raise StoreError(f'Svaret på fråga "{question_id}" kunde inte sparas; försök igen.')

    def _apply_answer(
        self,
        conn: sa.Connection,
        audit_id: int,
        case_id: str,
        question_id: str,
        new_text: str | None,
        who: str,
        expected_version: int | None,
    ) -> tuple[int, bool]:
        """Write one answer and its history row inside ``conn``'s transaction.

        Returns (version, changed); an answer that already has the value is left alone.
        """
        sa, s = _sql()
        t, h = s.answers, s.answer_history
        key = (t.c.audit_id == audit_id, t.c.case_id == case_id, t.c.question_id == question_id)
        row = conn.execute(sa.select(t).where(*key).with_for_update()).first()
        current = row.version if row is not None else 0
        if expected_version is not None and expected_version != current:
            raise ConflictError(
                case_id=case_id,
                question_id=question_id,
                expected_version=expected_version,
                current=_answer(row) if row is not None else None,
            )
        old_text = row.value if row is not None else None
        if old_text == new_text:
            return current, False
        version, now = current + 1, datetime.now(UTC)
        values = {"value": new_text, "version": version, "changed_at": now, "changed_by": who}
        event = "borttaget" if new_text is None else "nytt" if old_text is None else "ändrat"
        history = {
            "audit_id": audit_id, "case_id": case_id, "question_id": question_id,
            "event": event, "old_value": old_text, "new_value": new_text, "version": version,
            "changed_at": now, "changed_by": who, "tool_version": __version__,
        }
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # The history trigger (migration 4) writes the history row, with the server's
            # time and version; it records which tool version wrote through this setting.
            conn.exec_driver_sql(
                "SELECT set_config('granskning.tool_version', %(v)s, true)", {"v": __version__}
            )
        else:
            # SQLite: our row first, so that the trigger sees it and adds none of its own.
            conn.execute(sa.insert(h).values(**history))
        if row is None:
            statement = sa.insert(t).values(
                audit_id=audit_id, case_id=case_id, question_id=question_id, **values
            )
        else:
            statement = sa.update(t).where(*key).values(**values)
        if postgres:
            version = int(conn.execute(statement.returning(t.c.version)).scalar_one())
        else:
            conn.execute(statement)
        return version, True

    def _read_answer(
        self, conn: sa.Connection, audit_id: int, case_id: str, question_id: str
    ) -> Answer | None:
        sa, s = _sql()
        t = s.answers
        row = conn.execute(
            sa.select(t).where(
                t.c.audit_id == audit_id, t.c.case_id == case_id, t.c.question_id == question_id
            )
        ).first()
        return None if row is None else _answer(row)

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[sa.Connection]:
        """Yield a connection inside one transaction, committed on normal exit."""
        import sqlalchemy as sa

        try:
            connection = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            raise StoreError(connect_error(self.display_url, exc.orig)) from exc
        try:
            with connection as conn:
                if write:
                    conn.execution_options(**{WRITE: True})
                with conn.begin():
                    yield conn
        except sa.exc.IntegrityError as exc:
            raise _IntegrityStoreError(
                f"Databasen {self.display_url} vägrade ändringen: {first_line(exc.orig)}"
            ) from exc
        except sa.exc.DBAPIError as exc:
            if _denied(exc):
                raise StoreError(
                    f"Du har inte behörighet till det här i databasen {self.display_url} "
                    f"({first_line(exc.orig)}). Samordnare tilldelar, exporterar och skriver "
                    "rapporter; granskare svarar på sina egna ärenden."
                ) from exc
            raise StoreError(f"Databasfel i {self.display_url}: {first_line(exc.orig)}") from exc

    def _who(self, who: str | None) -> str:
        if who is not None:
            return _person(who, "vem")
        from granskning.store import identity

        return identity.current(self)

    def _require_postgres(self, what: str) -> None:
        if self.dialect != "postgresql":
            raise InputError(
                f"{what} finns bara i en PostgreSQL-databas; en SQLite-fil skyddas av "
                "filens rättigheter (bara ägaren kan läsa den)."
            )

    def _require_schema(self) -> None:
        if self._schema_ok:
            return
        from granskning.store import migrations as mig

        version = self.schema_version()
        if version == 0:
            if self.dialect == "sqlite" and self._tables():
                raise StoreError(
                    f"{self.display_url} är ingen databas för granskning (den har andra tabeller "
                    "än granskningens). Kontrollera sökvägen (--db eller GRANSKNING_DB)."
                )
            raise StoreError(
                f"Databasen {self.display_url} saknar tabeller. Kör först: granskning db init"
            )
        if version < mig.LATEST:
            raise StoreError(
                f"Databasen {self.display_url} har schemaversion {version}, men den här "
                f"versionen av granskning behöver version {mig.LATEST}. Kör: granskning db migrera"
            )
        if version > mig.LATEST:
            raise StoreError(
                f"Databasen {self.display_url} har schemaversion {version}, nyare än den här "
                f"versionen av granskning känner till ({mig.LATEST}). Uppgradera granskning."
            )
        self._schema_ok = True

    def _known_id(self, audit_id: Any) -> None:
        """Refuse an audit id no database can hold (ids are 32-bit integers from 1)."""
        try:
            number = None if isinstance(audit_id, bool) else operator.index(audit_id)
        except TypeError:
            number = None
        if number is None or not 1 <= number <= MAX_AUDIT_ID:
            shown = str(audit_id) if len(str(audit_id)) <= 20 else str(audit_id)[:20] + "…"
            raise InputError(f"Granskning {shown} finns inte i databasen {self.display_url}.")

    def _check_audit(self, conn: sa.Connection, audit_id: int) -> None:
        self._known_id(audit_id)
        sa, s = _sql()
        found = conn.execute(sa.select(s.audits.c.id).where(s.audits.c.id == audit_id)).first()
        if found is None:
            raise InputError(f"Granskning {audit_id} finns inte i databasen {self.display_url}.")

    def _check_case(self, conn: sa.Connection, audit_id: int, case_id: str) -> None:
        sa, s = _sql()
        c = s.cases
        found = conn.execute(
            sa.select(c.c.case_id).where(c.c.audit_id == audit_id, c.c.case_id == case_id)
        ).first()
        if found is None:
            self._check_audit(conn, audit_id)
            raise InputError(f"Ärendet {show_case_id(case_id)} finns inte i granskning {audit_id}.")


# -- module helpers -------------------------------------------------------


def _sql() -> tuple[Any, Any]:
    """Return (sqlalchemy, store_schema), imported on first use to keep startup fast."""
    import sqlalchemy

    from granskning.store import schema as store_schema

    return sqlalchemy, store_schema


def case_sort_key(case: Case) -> tuple[Any, ...]:
    """Return the canonical order of cases: reserve last, then stratum, draw order, id."""
    order = case.draw_order if case.draw_order is not None else math.inf
    return (case.reserve, case.stratum or "", order, case.case_id)


def _audit(row: Any) -> Audit:
    return Audit(
        id=row.id,
        title=row.title,
        kind=row.kind,
        protocol_text=row.protocol_text,
        checklist_id=row.checklist_id,
        checklist_version=row.checklist_version,
        checklist_sha256=row.checklist_sha256,
        sample_record=json.loads(row.sample_record),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _log(
    conn: sa.Connection,
    audit_id: int,
    case_id: str | None,
    subject: str,
    old: Any,
    new: Any,
    who: str,
    when: datetime,
) -> None:
    """Append one row to the trail of audits, cases and assignments (change_log)."""
    sa, s = _sql()
    conn.execute(
        sa.insert(s.change_log).values(
            audit_id=audit_id,
            case_id=case_id,
            subject=subject,
            old_value=None if old is None else encode(old),
            new_value=None if new is None else encode(new),
            changed_at=when,
            changed_by=who,
            tool_version=__version__,
        )
    )


def _denied(exc: Any) -> bool:
    """Return True for a refusal by privileges, row-level security or the history trigger."""
    state = getattr(exc.orig, "sqlstate", None)
    if state == "42501":  # insufficient_privilege (PostgreSQL)
        return True
    from granskning.store.migrations import APPEND_ONLY_MESSAGE

    return APPEND_ONLY_MESSAGE in str(exc.orig)


def _person(name: Any, what: str) -> str:
    """Return a user name as stored in the history; a personnummer as name is refused."""
    name = required_text(name, what)
    refuse_personnummer(name, f"namnet ({what})")
    return name


def looks_like_personnummer(case_id: str) -> bool:
    """Return True for a case id that holds a personnummer in any typed form."""
    from granskning.personnummer import number as pnr

    text = case_id.replace(" ", "")
    return (bool(PNR_SHAPE.fullmatch(text)) and pnr.is_valid(text)) or bool(
        pnr.find_personnummer(case_id))


def _answer(row: Any) -> Answer:
    return Answer(row.question_id, decode(row.value), row.version, row.changed_at, row.changed_by)
