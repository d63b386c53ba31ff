"""Migration: double reading (dubbelgranskning) — a second, independent reading of some cases.

Three new tables (:mod:`granskning.store.schema`):

``second_readings``
    which cases are read a second time, by whom, and whether that reading is done.
``second_answers``
    the second reader's answers, append-only: each change is a new row with the next
    version, so the table is its own history.
``settlements``
    the coordinator's settlements of disagreements, append-only, each with both
    readings as they were when it was settled.

Both readings stay: the first reading is the ordinary ``answers`` table (with its
history), the second is ``second_answers``; the analysis uses a settled answer in place
of the first reading (:meth:`granskning.store.answers.AnswersMixin.answers_frame`).

PostgreSQL: nobody may change or delete rows of ``second_answers`` or ``settlements``
(the append-only trigger of migration 3); the server's clock stamps them.  Row-level
security keeps the readings independent: the second reader sees the case and their own
reading, never the first reader's answers (those policies, of migration 3, let through
only the reviewer in ``assignments``); the first reader never sees the second reading;
settlements are for coordinators only.  SQLite: the same append-only rule by triggers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from granskning.store.records import APPEND_ONLY_MESSAGE

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["DESCRIPTION", "apply"]

DESCRIPTION = (
    "Dubbelgranskning: andra läsningar, deras svar och samordnarens avgöranden "
    "(kan bara utökas; radsäkerhet per läsare på PostgreSQL)"
)

APPEND_ONLY = ("second_answers", "settlements")
KEY_MESSAGE = "En andra läsning kan inte byta ärende."

_SQLITE = [
    f"CREATE TRIGGER {table}_no_{what} BEFORE {what.upper()} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    for table in APPEND_ONLY
    for what in ("update", "delete")
] + [
    # A second reading cannot move to another case.
    "CREATE TRIGGER second_readings_key BEFORE UPDATE ON second_readings "
    "WHEN NEW.audit_id IS NOT OLD.audit_id OR NEW.case_id IS NOT OLD.case_id "
    f"BEGIN SELECT RAISE(ABORT, '{KEY_MESSAGE}'); END",
]

_POSTGRES = [
    *[f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
      "FOR EACH ROW EXECUTE FUNCTION granskning_append_only()" for t in APPEND_ONLY],
    *[f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
      "FOR EACH STATEMENT EXECUTE FUNCTION granskning_append_only()"
      for t in (*APPEND_ONLY, "second_readings")],
    f"""CREATE FUNCTION granskning_double_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'settlements' THEN
    NEW.settled_at := clock_timestamp();
  ELSIF TG_TABLE_NAME = 'second_answers' THEN
    NEW.changed_at := clock_timestamp();
  ELSE
    IF TG_OP = 'INSERT' THEN
      NEW.assigned_at := clock_timestamp();
    ELSIF (NEW.audit_id, NEW.case_id) IS DISTINCT FROM (OLD.audit_id, OLD.case_id) THEN
      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = '{KEY_MESSAGE}';
    ELSE
      IF NEW.assigned_at IS DISTINCT FROM OLD.assigned_at THEN
        NEW.assigned_at := clock_timestamp();
      END IF;
      IF NEW.status = 'klar' AND OLD.status IS DISTINCT FROM 'klar' THEN
        NEW.finished_at := clock_timestamp();
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END $$""",
    *[f"CREATE TRIGGER {t}_stamp BEFORE INSERT OR UPDATE ON {t} "
      "FOR EACH ROW EXECUTE FUNCTION granskning_double_stamp()"
      for t in ("second_readings", "second_answers", "settlements")],
    # Is p_user the second reader of the case?  SECURITY DEFINER so that the policies
    # of cases and second_answers need not read second_readings under its own policies.
    """CREATE FUNCTION granskning_second_reader(p_audit integer, p_case text, p_user text)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM second_readings r
                 WHERE r.audit_id = p_audit AND r.case_id = p_case AND r.reviewer = p_user)
$$""",
    "REVOKE ALL ON FUNCTION granskning_second_reader(integer, text, text) FROM PUBLIC",
    *[f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"
      for t in ("second_readings", "second_answers", "settlements")],
    *[f"CREATE POLICY {t}_coordinator ON {t} USING (granskning_is_coordinator()) "
      "WITH CHECK (granskning_is_coordinator())" for t in ("second_readings", "settlements")],
    # The second reader sees the case row (not its first reading: answers' policies are
    # unchanged) and their own second reading.
    """CREATE POLICY cases_second_reader ON cases FOR SELECT
  USING (granskning_second_reader(audit_id, case_id, current_user::text))""",
    """CREATE POLICY second_readings_reader_read ON second_readings FOR SELECT
  USING (reviewer = current_user::text)""",
    """CREATE POLICY second_readings_reader_update ON second_readings FOR UPDATE
  USING (reviewer = current_user::text) WITH CHECK (reviewer = current_user::text)""",
    # The second reader signs the trail of their own reading (status klar).
    """CREATE POLICY change_log_second_reader ON change_log FOR INSERT
  WITH CHECK (changed_by = current_user::text AND case_id IS NOT NULL
              AND granskning_second_reader(audit_id, case_id, current_user::text))""",
    # ... and reads back only the rows they wrote themselves (INSERT … RETURNING needs it).
    """CREATE POLICY change_log_second_reader_read ON change_log FOR SELECT
  USING (changed_by = current_user::text AND case_id IS NOT NULL
         AND granskning_second_reader(audit_id, case_id, current_user::text))""",
    """CREATE POLICY second_answers_read ON second_answers FOR SELECT
  USING (granskning_is_coordinator()
         OR granskning_second_reader(audit_id, case_id, current_user::text))""",
    """CREATE POLICY second_answers_insert ON second_answers FOR INSERT
  WITH CHECK (changed_by = current_user::text
              AND granskning_second_reader(audit_id, case_id, current_user::text))""",
]


def apply(conn: sa.Connection) -> None:
    """Create the three tables with their triggers (and on PostgreSQL, the policies)."""
    import sqlalchemy as sa

    from granskning.store import schema as s

    for table in (s.second_readings, s.second_answers, s.settlements):
        conn.execute(sa.schema.CreateTable(table))
    if conn.dialect.name == "postgresql":
        schema = conn.dialect.identifier_preparer.quote(
            conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        )
        for statement in _POSTGRES:
            conn.exec_driver_sql(statement.replace("{schema}", schema))
    else:
        for statement in _SQLITE:
            conn.exec_driver_sql(statement)
