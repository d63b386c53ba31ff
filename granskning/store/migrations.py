"""Forward-only schema migrations of the answer store.

``MIGRATIONS`` is the ordered list of every schema change the tool knows.  Each
one runs in its own transaction together with the row that records it in
``schema_version``, so a database is always at a whole version.  (SQLite gets
transactional DDL from the BEGIN that :mod:`granskning.store.database` emits itself.)

Never edit a migration that has shipped: add a new one.  When a later migration
alters a table, freeze the old definition used by migration 1 here first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from granskning import __version__
from granskning.store import (
    migration_case_data,
    migration_deviations,
    migration_double,
    migration_outside,
    migration_plan,
    trail_sql,
)
from granskning.store import schema as s
from granskning.store.records import APPEND_ONLY_MESSAGE, OUTSIDE_TOOL
from granskning.store.trail_sql import KEY_MESSAGE_TRAIL as KEY_MESSAGE_TRAIL  # re-export


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema change: the version it leads to and what it does."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


# answer_history as migration 1 created it (migration 4 adds db_user) and cases (migration 6
# adds case_data): frozen here.
_v1 = sa.MetaData()
s.audits.to_metadata(_v1)
_cases_v1 = migration_case_data.cases_v1(_v1)
_answer_history_v1 = sa.Table(
    "answer_history",
    _v1,
    sa.Column("id", s.BigId, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, nullable=False),
    sa.Column("case_id", sa.String(100), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_at", s.UTCDateTime, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], ["cases.audit_id", "cases.case_id"]),
    sa.CheckConstraint(sa.column("event").in_(s.EVENTS), name="ck_answer_history_event"),
)


def _v1_tables(conn: sa.Connection) -> None:
    for table in (s.audits, _cases_v1, s.assignments, s.answers, _answer_history_v1):
        conn.execute(sa.schema.CreateTable(table))


def _v2_indexes(conn: sa.Connection) -> None:
    s.ix_history_case.create(conn)
    s.ix_assignments_reviewer.create(conn)


# -- migration 3: the trail of audits and assignments, append-only history, RLS ----

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


# -- migration 4: the database itself writes the answer history, for every writer ----------
#
# Before, the tool wrote each history row next to the answer; a reviewer connected with
# psql could UPDATE their answers (and backdate changed_at) without a trace.  Now:
#
# PostgreSQL: a BEFORE trigger on answers sets changed_at to the server's clock and the
# version to the previous one + 1 (so neither can be chosen by the writer), and an AFTER
# trigger (SECURITY DEFINER, the only writer of answer_history: INSERT on it is revoked
# from both groups) appends one history row for every INSERT, UPDATE and DELETE, with
# the login (session_user) in db_user.  The tool no longer writes history rows itself;
# it names its version with set_config('granskning.tool_version', …, true).
#
# SQLite (one file, protected by its permissions): the tool writes its history row
# before the answer; AFTER triggers add a row for any write whose history row is not
# already the latest one for that answer (any other program), with SQLite's clock, and
# a BEFORE UPDATE trigger insists that the version goes up by one.

# A history row written by SQL directly has tool_version OUTSIDE_TOOL (granskning.store.records).
VERSION_MESSAGE = "Svarets versionsnummer måste öka med 1 vid varje ändring."
# Moving an answer to another case or question would hide it from the old one's history.
KEY_MESSAGE = "Ett svar kan inte flyttas till ett annat ärende eller en annan fråga."

_V4_POSTGRES = [
    "ALTER TABLE answer_history ADD COLUMN db_user varchar(200)",
    """CREATE FUNCTION granskning_answers_stamp() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
  NEW.changed_at := clock_timestamp();
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.audit_id, NEW.case_id, NEW.question_id)
       IS DISTINCT FROM (OLD.audit_id, OLD.case_id, OLD.question_id) THEN
      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = '{KEY_MESSAGE}';
    END IF;
    NEW.version := OLD.version + 1;
  ELSE
    NEW.version := 1 + COALESCE((SELECT max(h.version) FROM answer_history h
                                 WHERE h.audit_id = NEW.audit_id AND h.case_id = NEW.case_id
                                   AND h.question_id = NEW.question_id), 0);
  END IF;
  RETURN NEW;
END $$""",
    f"""CREATE FUNCTION granskning_answers_history() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
DECLARE
  p_audit integer;
  p_case text;
  p_question text;
  old_v text;
  new_v text;
  v integer;
  ts timestamptz;
  who text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    p_audit := OLD.audit_id; p_case := OLD.case_id; p_question := OLD.question_id;
    old_v := OLD.value; new_v := NULL;
    v := OLD.version + 1; ts := clock_timestamp(); who := session_user;
  ELSE
    p_audit := NEW.audit_id; p_case := NEW.case_id; p_question := NEW.question_id;
    new_v := NEW.value; v := NEW.version; ts := NEW.changed_at; who := NEW.changed_by;
    IF TG_OP = 'UPDATE' THEN old_v := OLD.value; END IF;
  END IF;
  INSERT INTO answer_history (audit_id, case_id, question_id, event, old_value, new_value,
                              version, changed_at, changed_by, tool_version, db_user)
  VALUES (p_audit, p_case, p_question,
          CASE WHEN new_v IS NULL THEN 'borttaget' WHEN old_v IS NULL THEN 'nytt'
               ELSE 'ändrat' END,
          old_v, new_v, v, ts, who,
          COALESCE(NULLIF(current_setting('granskning.tool_version', true), ''),
                   '{OUTSIDE_TOOL}'),
          session_user);
  RETURN NULL;
END $$""",
    "CREATE TRIGGER answers_stamp BEFORE INSERT OR UPDATE ON answers "
    "FOR EACH ROW EXECUTE FUNCTION granskning_answers_stamp()",
    "CREATE TRIGGER answers_history AFTER INSERT OR UPDATE OR DELETE ON answers "
    "FOR EACH ROW EXECUTE FUNCTION granskning_answers_history()",
    "CREATE TRIGGER answers_no_truncate BEFORE TRUNCATE ON answers "
    "FOR EACH STATEMENT EXECUTE FUNCTION granskning_append_only()",
    "REVOKE ALL ON FUNCTION granskning_answers_stamp() FROM PUBLIC",
    "REVOKE ALL ON FUNCTION granskning_answers_history() FROM PUBLIC",
    # Nobody but the trigger writes answer history any more (store_roles repeats this).
    """DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'granskning_samordnare') THEN
    REVOKE INSERT ON answer_history FROM granskning_samordnare;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'granskning_granskare') THEN
    REVOKE INSERT ON answer_history FROM granskning_granskare;
  END IF;
END $$""",
]

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%S', 'now') || substr(strftime('%f', 'now'), 3) || '000'"
_SQLITE_KEY = (
    "h.audit_id = {r}.audit_id AND h.case_id = {r}.case_id AND h.question_id = {r}.question_id"
)


def _sqlite_history(when: str, r: str, old: str, new: str, version: str) -> str:
    """A trigger appending a history row unless the tool already wrote this one."""
    key = _SQLITE_KEY.format(r=r)
    return f"""CREATE TRIGGER answers_history_{when.lower()} AFTER {when} ON answers
WHEN NOT EXISTS (SELECT 1 FROM answer_history h WHERE {key}
                 AND h.id = (SELECT max(h2.id) FROM answer_history h2
                             WHERE h2.audit_id = {r}.audit_id AND h2.case_id = {r}.case_id
                               AND h2.question_id = {r}.question_id)
                 AND h.version = {version} AND h.new_value IS {new}
                 AND h.old_value IS {old})
BEGIN
  INSERT INTO answer_history (audit_id, case_id, question_id, event, old_value, new_value,
                              version, changed_at, changed_by, tool_version, db_user)
  VALUES ({r}.audit_id, {r}.case_id, {r}.question_id,
          CASE WHEN {new} IS NULL THEN 'borttaget' WHEN {old} IS NULL THEN 'nytt'
               ELSE 'ändrat' END,
          {old}, {new}, {version}, {_SQLITE_NOW},
          {"OLD.changed_by" if r == "OLD" else "NEW.changed_by"}, '{OUTSIDE_TOOL}', NULL);
END"""


_V4_SQLITE = [
    "ALTER TABLE answer_history ADD COLUMN db_user VARCHAR(200)",
    "CREATE TRIGGER answers_version BEFORE UPDATE ON answers "
    f"WHEN NEW.version IS NOT OLD.version + 1 BEGIN SELECT RAISE(ABORT, '{VERSION_MESSAGE}'); END",
    "CREATE TRIGGER answers_key BEFORE UPDATE ON answers "
    "WHEN NEW.audit_id IS NOT OLD.audit_id OR NEW.case_id IS NOT OLD.case_id "
    f"OR NEW.question_id IS NOT OLD.question_id BEGIN SELECT RAISE(ABORT, '{KEY_MESSAGE}'); END",
    _sqlite_history("INSERT", "NEW", "NULL", "NEW.value", "NEW.version"),
    _sqlite_history("UPDATE", "NEW", "OLD.value", "NEW.value", "NEW.version"),
    _sqlite_history("DELETE", "OLD", "OLD.value", "NULL", "OLD.version + 1"),
]


def _v4_history_by_trigger(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        schema = conn.dialect.identifier_preparer.quote(
            conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        )
        for statement in _V4_POSTGRES:
            conn.exec_driver_sql(
                statement.replace("{schema}", schema).replace("{KEY_MESSAGE}", KEY_MESSAGE)
            )
    else:
        for statement in _V4_SQLITE:
            conn.exec_driver_sql(statement)


# -- migration 5: the database writes the rest of the trail (change_log) too; the SQL and
# why are in granskning.store.trail_sql.


def _v5_trail_by_trigger(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        schema = conn.dialect.identifier_preparer.quote(
            conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        )
        statements = [st.replace("{schema}", schema) for st in trail_sql.V5_POSTGRES]
    else:
        statements = trail_sql.V5_SQLITE
    for statement in statements:
        conn.exec_driver_sql(
            statement.replace("{OUTSIDE_TOOL}", OUTSIDE_TOOL).replace("{SQLITE_NOW}", _SQLITE_NOW)
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "Granskningar, ärenden, tilldelning, svar och svarshistorik", _v1_tables),
    Migration(2, "Index för historik per ärende och tilldelning per granskare", _v2_indexes),
    Migration(
        3,
        "Historik för granskningar och tilldelning; historiken kan inte ändras; "
        "radsäkerhet per granskare (PostgreSQL)",
        _v3_trail,
    ),
    Migration(
        4,
        "Databasen skriver svarshistoriken själv vid varje ändring, med serverns tid "
        "och databasanvändaren, vem som än skriver",
        _v4_history_by_trigger,
    ),
    Migration(
        5,
        "Databasen skriver historiken för tilldelning, status, ärenden och granskningen "
        "själv vid varje ändring, med serverns tid och databasanvändaren",
        _v5_trail_by_trigger,
    ),
    Migration(6, "Ärendedata från ramen följer med varje ärende (datum, tal, text; aldrig "
              "personnummer)", migration_case_data.apply),
    Migration(7, migration_plan.DESCRIPTION, migration_plan.apply),
    Migration(8, migration_deviations.DESCRIPTION, migration_deviations.apply),
    Migration(9, migration_double.DESCRIPTION, migration_double.apply),
    Migration(10, migration_outside.DESCRIPTION, migration_outside.apply),
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
