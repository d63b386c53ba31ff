"""SQL of migration 5 (:mod:`granskning.store.migrations`): the trail written by the database.

Plain text only; ``{schema}``, ``{OUTSIDE_TOOL}`` and ``{SQLITE_NOW}`` are filled in by
:func:`granskning.store.migrations._v5_trail_by_trigger`.  Never edit once shipped.
"""

from __future__ import annotations

_OUTSIDE = "{OUTSIDE_TOOL}"
_NOW = "{SQLITE_NOW}"

# -- migration 5: the database writes the rest of the trail too (change_log), for every writer --
#
# Migration 4 made the answer history complete; assignments, cases and the audit row were
# still logged only by the tool, so a reviewer with psql could mark a case klar (with a
# finished_at of their choosing) and a coordinator could reassign cases or edit the audit
# without a trace.  Now:
#
# PostgreSQL: BEFORE triggers take assigned_at/finished_at and change_log.changed_at from
# the server's clock (nobody can backdate them) and refuse to move an assignment, a case or
# an audit to another key.  DEFERRABLE INITIALLY DEFERRED constraint triggers look at every
# INSERT, UPDATE and DELETE of assignments, cases and audits at COMMIT: unless a change_log
# row describing that change was written in the same transaction (as the tool writes it,
# before or after the change), they append one themselves, with session_user, the server's
# clock and tool_version OUTSIDE_TOOL.  Whoever writes a describing row by hand gets it
# signed with their login (row-level security) and stamped with the server's time, so the
# trail is complete for every writer; only the tool_version label is the writer's claim.
# An audit cannot be deleted (change_log refers to it).
#
# SQLite (one file, protected by its permissions): the tool writes its change_log row
# before it changes an assignment; AFTER triggers add a row, with SQLite's clock, for any
# write to assignments whose row is not already the latest one for that case (any other
# program).  The assignment's own timestamps are not rewritten there: the trail row's
# time is SQLite's.

KEY_MESSAGE_TRAIL = "En tilldelning, ett ärende eller en granskning kan inte byta id."

V5_POSTGRES = [
    """CREATE FUNCTION granskning_change_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_at := clock_timestamp();
  RETURN NEW;
END $$""",
    "CREATE TRIGGER change_log_stamp BEFORE INSERT ON change_log "
    "FOR EACH ROW EXECUTE FUNCTION granskning_change_log_stamp()",
    f"""CREATE FUNCTION granskning_trail_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF TG_TABLE_NAME = 'audits' THEN
      IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = '{KEY_MESSAGE_TRAIL}';
      END IF;
    ELSIF (NEW.audit_id, NEW.case_id) IS DISTINCT FROM (OLD.audit_id, OLD.case_id) THEN
      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = '{KEY_MESSAGE_TRAIL}';
    END IF;
  END IF;
  IF TG_TABLE_NAME = 'assignments' THEN
    IF TG_OP = 'INSERT' THEN
      NEW.assigned_at := clock_timestamp();
      IF NEW.finished_at IS NOT NULL OR NEW.status = 'klar' THEN
        NEW.finished_at := clock_timestamp();
      END IF;
    ELSE
      IF NEW.assigned_at IS DISTINCT FROM OLD.assigned_at THEN
        NEW.assigned_at := clock_timestamp();
      END IF;
      IF (NEW.finished_at IS NOT NULL AND NEW.finished_at IS DISTINCT FROM OLD.finished_at)
         OR (NEW.status = 'klar' AND OLD.status IS DISTINCT FROM 'klar') THEN
        NEW.finished_at := clock_timestamp();
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END $$""",
    *[f"CREATE TRIGGER {t}_stamp BEFORE {ops} ON {t} "
      "FOR EACH ROW EXECUTE FUNCTION granskning_trail_stamp()"
      for t, ops in (("assignments", "INSERT OR UPDATE"), ("cases", "UPDATE"),
                     ("audits", "UPDATE"))],
    # Append a row unless the same transaction already holds one describing this change
    # (p_any: any row of that subject for the audit, as the tool writes one per batch).
    f"""CREATE FUNCTION granskning_trail_row(p_audit integer, p_case text, p_subject text,
                                      p_old text, p_new text, p_match_case text,
                                      p_any boolean) RETURNS void
LANGUAGE plpgsql SET search_path = {{schema}}, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM change_log c
             WHERE c.audit_id = p_audit AND c.case_id IS NOT DISTINCT FROM p_match_case
               AND c.subject = p_subject AND c.tool_version <> '{_OUTSIDE}'
               AND c.xmin::text = mod(txid_current(), 4294967296)::text
               AND (p_any OR (c.old_value IS NOT DISTINCT FROM p_old
                              AND c.new_value IS NOT DISTINCT FROM p_new))) THEN
    RETURN;
  END IF;
  INSERT INTO change_log (audit_id, case_id, subject, old_value, new_value, changed_at,
                          changed_by, tool_version)
  VALUES (p_audit, p_case, p_subject, p_old, p_new, clock_timestamp(), session_user,
          '{_OUTSIDE}');
END $$""",
    "REVOKE ALL ON FUNCTION granskning_trail_row(integer, text, text, text, text, text, boolean) "
    "FROM PUBLIC",
    # The columns that changed, old and new, as two JSON objects.
    """CREATE FUNCTION granskning_trail_diff(p_old jsonb, p_new jsonb, p_skip text[])
RETURNS jsonb[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY[COALESCE(jsonb_object_agg(k, p_old -> k), '{}'::jsonb),
               COALESCE(jsonb_object_agg(k, p_new -> k), '{}'::jsonb)]
  FROM jsonb_object_keys(p_new) AS k
  WHERE (p_old -> k) IS DISTINCT FROM (p_new -> k) AND NOT k = ANY (p_skip)
$$""",
    """CREATE FUNCTION granskning_trail() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
  d jsonb[];
  o jsonb;
BEGIN
  IF TG_TABLE_NAME = 'assignments' THEN
    IF TG_OP = 'INSERT' THEN
      IF NEW.status = 'klar' THEN
        PERFORM granskning_trail_row(NEW.audit_id, NEW.case_id, 'status', NULL,
                                     to_jsonb(NEW.status)::text, NEW.case_id, false);
      ELSE
        PERFORM granskning_trail_row(NEW.audit_id, NEW.case_id, 'tilldelning', NULL,
                                     to_jsonb(NEW.reviewer)::text, NEW.case_id, false);
      END IF;
    ELSIF TG_OP = 'UPDATE' THEN
      IF NEW.reviewer IS DISTINCT FROM OLD.reviewer
         OR NEW.assigned_at IS DISTINCT FROM OLD.assigned_at THEN
        PERFORM granskning_trail_row(NEW.audit_id, NEW.case_id, 'tilldelning',
                                     to_jsonb(OLD.reviewer)::text, to_jsonb(NEW.reviewer)::text,
                                     NEW.case_id, false);
      END IF;
      IF (NEW.status, NEW.finished_at, NEW.finished_by)
         IS DISTINCT FROM (OLD.status, OLD.finished_at, OLD.finished_by) THEN
        PERFORM granskning_trail_row(NEW.audit_id, NEW.case_id, 'status',
                                     to_jsonb(OLD.status)::text, to_jsonb(NEW.status)::text,
                                     NEW.case_id, false);
      END IF;
    ELSE
      PERFORM granskning_trail_row(OLD.audit_id, OLD.case_id, 'tilldelning',
                                   to_jsonb(OLD.reviewer)::text, NULL, OLD.case_id, false);
    END IF;
  ELSIF TG_TABLE_NAME = 'cases' THEN
    IF TG_OP = 'INSERT' THEN
      PERFORM granskning_trail_row(NEW.audit_id, NEW.case_id, 'ärenden', NULL,
        jsonb_build_object('antal', CASE WHEN NEW.reserve THEN 0 ELSE 1 END,
                           'reserver', CASE WHEN NEW.reserve THEN 1 ELSE 0 END)::text,
        NULL, true);
    ELSIF TG_OP = 'UPDATE' THEN
      d := granskning_trail_diff(to_jsonb(OLD), to_jsonb(NEW), ARRAY[]::text[]);
      IF d[2] <> '{}'::jsonb THEN
        PERFORM granskning_trail_row(NEW.audit_id, NEW.case_id, 'ärenden', d[1]::text,
                                     d[2]::text, NEW.case_id, false);
      END IF;
    ELSE
      -- The case is gone, so the row is about the audit; the old values name the case.
      o := to_jsonb(OLD) - 'audit_id';
      PERFORM granskning_trail_row(OLD.audit_id, NULL, 'ärenden', o::text, NULL, NULL, false);
    END IF;
  ELSE
    IF TG_OP = 'INSERT' THEN
      PERFORM granskning_trail_row(NEW.id, NULL, 'granskning', NULL,
        jsonb_build_object('titel', NEW.title, 'slag', NEW.kind, 'checklista', NEW.checklist_id,
                           'checklistversion', NEW.checklist_version)::text, NULL, true);
    ELSE
      d := granskning_trail_diff(to_jsonb(OLD), to_jsonb(NEW), ARRAY[]::text[]);
      IF d[2] <> '{}'::jsonb THEN
        PERFORM granskning_trail_row(NEW.id, NULL, 'granskning', d[1]::text, d[2]::text,
                                     NULL, false);
      END IF;
    END IF;
  END IF;
  RETURN NULL;
END $$""",
    "REVOKE ALL ON FUNCTION granskning_trail() FROM PUBLIC",
    *[f"CREATE CONSTRAINT TRIGGER {t}_trail AFTER {ops} ON {t} "
      "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION granskning_trail()"
      for t, ops in (("assignments", "INSERT OR UPDATE OR DELETE"),
                     ("cases", "INSERT OR UPDATE OR DELETE"), ("audits", "INSERT OR UPDATE"))],
    *[f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
      "FOR EACH STATEMENT EXECUTE FUNCTION granskning_append_only()"
      for t in ("assignments", "cases", "audits")],
]


def _sqlite_latest(r: str, subject: str, old: str, new: str) -> str:
    """True when the latest change_log row of the case is the tool's row for this change."""
    return f"""EXISTS (SELECT 1 FROM change_log c
               WHERE c.id = (SELECT max(c2.id) FROM change_log c2
                             WHERE c2.audit_id = {r}.audit_id AND c2.case_id = {r}.case_id)
                 AND c.subject = {subject} AND c.tool_version <> '{_OUTSIDE}'
                 AND json_extract(c.old_value, '$') IS {old}
                 AND json_extract(c.new_value, '$') IS {new})"""


def _sqlite_row(r: str, subject: str, old: str, new: str, who: str) -> str:
    return f"""INSERT INTO change_log (audit_id, case_id, subject, old_value, new_value,
                        changed_at, changed_by, tool_version)
  VALUES ({r}.audit_id, {r}.case_id, {subject}, {old}, {new}, {_NOW}, {who},
          '{_OUTSIDE}');"""


_SQLITE_INSERT_SUBJECT = "CASE WHEN NEW.status = 'klar' THEN 'status' ELSE 'tilldelning' END"
_SQLITE_INSERT_NEW = "CASE WHEN NEW.status = 'klar' THEN 'klar' ELSE NEW.reviewer END"

V5_SQLITE = [
    "CREATE TRIGGER assignments_key BEFORE UPDATE ON assignments "
    "WHEN NEW.audit_id IS NOT OLD.audit_id OR NEW.case_id IS NOT OLD.case_id "
    f"BEGIN SELECT RAISE(ABORT, '{KEY_MESSAGE_TRAIL}'); END",
    f"""CREATE TRIGGER assignments_trail_insert AFTER INSERT ON assignments
WHEN NOT {_sqlite_latest("NEW", _SQLITE_INSERT_SUBJECT, "NULL", _SQLITE_INSERT_NEW)}
BEGIN
  {_sqlite_row("NEW", _SQLITE_INSERT_SUBJECT, "NULL", f"json_quote({_SQLITE_INSERT_NEW})",
               "COALESCE(NEW.finished_by, NEW.reviewer)")}
END""",
    f"""CREATE TRIGGER assignments_trail_reviewer AFTER UPDATE ON assignments
WHEN (NEW.reviewer IS NOT OLD.reviewer OR NEW.assigned_at IS NOT OLD.assigned_at)
 AND NOT {_sqlite_latest("NEW", "'tilldelning'", "OLD.reviewer", "NEW.reviewer")}
BEGIN
  {_sqlite_row("NEW", "'tilldelning'", "json_quote(OLD.reviewer)", "json_quote(NEW.reviewer)",
               "'okänd'")}
END""",
    f"""CREATE TRIGGER assignments_trail_status AFTER UPDATE ON assignments
WHEN (NEW.status IS NOT OLD.status OR NEW.finished_at IS NOT OLD.finished_at
      OR NEW.finished_by IS NOT OLD.finished_by)
 AND NOT {_sqlite_latest("NEW", "'status'", "OLD.status", "NEW.status")}
BEGIN
  {_sqlite_row("NEW", "'status'", "json_quote(OLD.status)", "json_quote(NEW.status)",
               "COALESCE(NEW.finished_by, NEW.reviewer)")}
END""",
    f"""CREATE TRIGGER assignments_trail_delete AFTER DELETE ON assignments
BEGIN
  {_sqlite_row("OLD", "'tilldelning'", "json_quote(OLD.reviewer)", "NULL", "'okänd'")}
END""",
]
