"""Forward-only schema migrations of the answer store.

``MIGRATIONS`` is the ordered list of every schema change the tool knows.  Each
one runs in its own transaction together with the row that records it in
``schema_version``, so a database is always at a whole version.  (SQLite gets
transactional DDL from the BEGIN that :mod:`granskning.store` emits itself.)

Never edit a migration that has shipped: add a new one.  When a later migration
alters a table, freeze the old definition used by migration 1 here first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from granskning import __version__
from granskning import store_schema as s


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema change: the version it leads to and what it does."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _v1_tables(conn: sa.Connection) -> None:
    for table in (s.audits, s.cases, s.assignments, s.answers, s.answer_history):
        conn.execute(sa.schema.CreateTable(table))


def _v2_indexes(conn: sa.Connection) -> None:
    s.ix_history_case.create(conn)
    s.ix_assignments_reviewer.create(conn)


# -- migration 3: the trail of audits and assignments, append-only history, RLS ----

APPEND_ONLY_MESSAGE = "Historiken kan bara utökas: rader får inte ändras eller tas bort."
HISTORY_TABLES = ("answer_history", "change_log")

_V3_SQLITE = [
    f"CREATE TRIGGER {table}_no_{what} BEFORE {what.upper()} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    for table in HISTORY_TABLES
    for what in ("update", "delete")
]

# PostgreSQL.  The trigger stops UPDATE, DELETE and TRUNCATE of the history for
# everyone, the owner included (unless they disable it deliberately).  Row-level
# security: the owner and superusers bypass it; every other user sees and writes
# only what the policies allow.  ``granskning_case_visible`` is SECURITY DEFINER
# so that the policies of cases, answers and assignments need not query each
# other (which PostgreSQL refuses as recursion); the user is passed in because
# inside it current_user is the owner.  {schema} is the quoted schema name.
_V3_POSTGRES = [
    f"""CREATE FUNCTION granskning_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
    MESSAGE = '{APPEND_ONLY_MESSAGE} (' || TG_TABLE_NAME || ')';
END $$""",
    *[
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION granskning_append_only()"
        for table in HISTORY_TABLES
    ],
    *[
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION granskning_append_only()"
        for table in HISTORY_TABLES
    ],
    """CREATE FUNCTION granskning_is_coordinator() RETURNS boolean
LANGUAGE sql STABLE COST 1 AS $$
  SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                 WHERE r.rolname = 'granskning_samordnare'
                   AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))
$$""",
    """CREATE FUNCTION granskning_case_visible(p_audit integer, p_case text, p_user text)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM assignments a
                 WHERE a.audit_id = p_audit AND a.case_id = p_case AND a.reviewer = p_user)
      OR EXISTS (SELECT 1 FROM cases c
                 WHERE c.audit_id = p_audit AND c.case_id = p_case
                   AND lower(c.case_worker) = lower(p_user))
$$""",
    "REVOKE ALL ON FUNCTION granskning_case_visible(integer, text, text) FROM PUBLIC",
    *[f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"
      for t in ("cases", "assignments", "answers", *HISTORY_TABLES)],
    # Coordinators: everything (what they may do at all is set by GRANT).
    *[f"CREATE POLICY {t}_coordinator ON {t} USING (granskning_is_coordinator()) "
      "WITH CHECK (granskning_is_coordinator())" for t in ("cases", "assignments")],
    # Reviewers: their assigned cases (and a survey's own cases).
    """CREATE POLICY cases_reviewer ON cases FOR SELECT
  USING (granskning_case_visible(audit_id, case_id, current_user::text))""",
    """CREATE POLICY assignments_reviewer_read ON assignments FOR SELECT
  USING (reviewer = current_user::text)""",
    """CREATE POLICY assignments_reviewer_update ON assignments FOR UPDATE
  USING (reviewer = current_user::text) WITH CHECK (reviewer = current_user::text)""",
    """CREATE POLICY assignments_reviewer_insert ON assignments FOR INSERT
  WITH CHECK (reviewer = current_user::text
              AND granskning_case_visible(audit_id, case_id, current_user::text))""",
    # Answers and history: visible cases; every write is signed by the connected user.
    """CREATE POLICY answers_read ON answers FOR SELECT
  USING (granskning_is_coordinator()
         OR granskning_case_visible(audit_id, case_id, current_user::text))""",
    """CREATE POLICY answers_insert ON answers FOR INSERT
  WITH CHECK (changed_by = current_user::text AND (granskning_is_coordinator()
              OR granskning_case_visible(audit_id, case_id, current_user::text)))""",
    """CREATE POLICY answers_update ON answers FOR UPDATE
  USING (granskning_is_coordinator()
         OR granskning_case_visible(audit_id, case_id, current_user::text))
  WITH CHECK (changed_by = current_user::text AND (granskning_is_coordinator()
              OR granskning_case_visible(audit_id, case_id, current_user::text)))""",
    """CREATE POLICY answer_history_read ON answer_history FOR SELECT
  USING (granskning_is_coordinator()
         OR granskning_case_visible(audit_id, case_id, current_user::text))""",
    """CREATE POLICY answer_history_insert ON answer_history FOR INSERT
  WITH CHECK (changed_by = current_user::text AND (granskning_is_coordinator()
              OR granskning_case_visible(audit_id, case_id, current_user::text)))""",
    """CREATE POLICY change_log_read ON change_log FOR SELECT
  USING (granskning_is_coordinator() OR case_id IS NULL
         OR granskning_case_visible(audit_id, case_id, current_user::text))""",
    """CREATE POLICY change_log_insert ON change_log FOR INSERT
  WITH CHECK (changed_by = current_user::text AND (granskning_is_coordinator()
              OR (case_id IS NOT NULL
                  AND granskning_case_visible(audit_id, case_id, current_user::text))))""",
]


def _v3_trail(conn: sa.Connection) -> None:
    conn.execute(sa.schema.CreateTable(s.change_log))
    s.ix_change_log_case.create(conn)
    if conn.dialect.name == "postgresql":
        schema = conn.dialect.identifier_preparer.quote(
            conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        )
        for statement in _V3_POSTGRES:
            conn.exec_driver_sql(statement.replace("{schema}", schema))
    else:
        for statement in _V3_SQLITE:
            conn.exec_driver_sql(statement)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "Granskningar, ärenden, tilldelning, svar och svarshistorik", _v1_tables),
    Migration(2, "Index för historik per ärende och tilldelning per granskare", _v2_indexes),
    Migration(
        3,
        "Historik för granskningar och tilldelning; historiken kan inte ändras; "
        "radsäkerhet per granskare (PostgreSQL)",
        _v3_trail,
    ),
)

LATEST = MIGRATIONS[-1].version


def current_version(conn: sa.Connection) -> int:
    """Return the schema version of the database (0 when it has no schema yet)."""
    if not sa.inspect(conn).has_table(s.schema_version.name):
        return 0
    found = conn.execute(sa.select(sa.func.max(s.schema_version.c.version))).scalar()
    return int(found or 0)


def pending(version: int) -> tuple[Migration, ...]:
    """Return the migrations a database at ``version`` still needs."""
    return tuple(m for m in MIGRATIONS if m.version > version)


def apply(
    engine: sa.Engine, *, target: int | None = None, write: dict | None = None
) -> list[Migration]:
    """Apply the pending migrations up to ``target`` (default: all) and return them.

    Each migration is one transaction; the version is re-read inside it so two
    tools migrating at once cannot both apply the same step.
    """
    target = LATEST if target is None else target
    done: list[Migration] = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        with engine.connect() as conn:
            conn.execution_options(**(write or {}))
            with conn.begin():
                version = current_version(conn)
                if migration.version <= version:
                    continue
                if migration.version != version + 1:
                    raise RuntimeError(f"schema version {version} skips to {migration.version}")
                if version == 0:
                    s.schema_version.create(conn, checkfirst=True)
                migration.apply(conn)
                conn.execute(
                    sa.insert(s.schema_version).values(
                        version=migration.version,
                        description=migration.description,
                        applied_at=datetime.now(UTC),
                        tool_version=__version__,
                    )
                )
        done.append(migration)
    return done
