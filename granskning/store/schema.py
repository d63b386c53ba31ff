"""Table definitions of the answer store, at the newest schema version.

Imported only by :mod:`granskning.store.database` and :mod:`granskning.store.migrations`
when a database is opened, so that importing the CLI never pays for SQLAlchemy.

Conventions: times are stored in UTC; answer values, old/new values in the
history and the sample record are JSON text (so a ``bool`` stays a ``bool`` and
``"Ja"`` stays a string on every database).  In ``answers`` a NULL value means
"deleted": the row stays so that its version number keeps counting up and an
old ``expected_version`` can never match a re-created answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

KINDS = ("granskning", "internkontroll")
STATUSES = ("pågår", "klar")
EVENTS = ("nytt", "ändrat", "borttaget")
# What a change_log row is about (migration 3): the audit, its cases, an assignment.
SUBJECTS = ("granskning", "ärenden", "tilldelning", "status")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store times in UTC")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only makes an INTEGER PRIMARY KEY an alias of the rowid (auto-increment).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
)

audits = sa.Table(
    "audits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("protocol_text", sa.Text),
    sa.Column("checklist_id", sa.String(200)),
    sa.Column("checklist_version", sa.String(50)),
    sa.Column("checklist_sha256", sa.String(64)),
    sa.Column("sample_record", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.CheckConstraint(sa.column("kind").in_(KINDS), name="ck_audits_kind"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id"), primary_key=True),
    sa.Column("case_id", sa.String(100), primary_key=True),
    sa.Column("stratum", sa.String(200)),
    sa.Column("sex", sa.String(50)),
    sa.Column("age", sa.Integer),
    sa.Column("design_weight", sa.Float),
    sa.Column("inclusion_probability", sa.Float),
    sa.Column("draw_order", sa.Integer),
    sa.Column("reserve", sa.Boolean, nullable=False, default=False),
    sa.Column("case_worker", sa.String(200)),
    # Migration 6: the case data from the frame (JSON text: name -> ISO date, number or text).
    sa.Column("case_data", sa.Text),
    # Added by migration 10 (granskning.store.migration_outside): why a case is outside the
    # population (NULL: inside), and for a reserve brought in, the case it replaced.
    sa.Column("outside_reason", sa.Text),
    sa.Column("replaces", sa.String(100)),
)

_case_fk = ("cases.audit_id", "cases.case_id")

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.String(100), primary_key=True),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("finished_by", sa.String(200)),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
    sa.CheckConstraint(sa.column("status").in_(STATUSES), name="ck_assignments_status"),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.String(100), primary_key=True),
    sa.Column("question_id", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text),  # JSON; NULL = deleted
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
)

answer_history = sa.Table(
    "answer_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, nullable=False),
    sa.Column("case_id", sa.String(100), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    # Added by migration 4: the database login that made the change (PostgreSQL's
    # session_user, set by the history trigger); NULL on SQLite.
    sa.Column("db_user", sa.String(200)),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
    sa.CheckConstraint(sa.column("event").in_(EVENTS), name="ck_answer_history_event"),
)

# Added by migration 3: the trail of everything that is not an answer (the audit
# itself, cases added, assignments and their status), append-only like answer_history.
change_log = sa.Table(
    "change_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id"), nullable=False),
    sa.Column("case_id", sa.String(100)),  # NULL: about the whole audit
    sa.Column("subject", sa.String(20), nullable=False),
    sa.Column("old_value", sa.Text),  # JSON
    sa.Column("new_value", sa.Text),  # JSON
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
    sa.CheckConstraint(sa.column("subject").in_(SUBJECTS), name="ck_change_log_subject"),
)
ix_change_log_case = sa.Index(
    "ix_change_log_case", change_log.c.audit_id, change_log.c.case_id, change_log.c.id
)

# Added by migration 2.  CreateTable (migration 1) does not emit these.
ix_history_case = sa.Index(
    "ix_answer_history_case",
    answer_history.c.audit_id,
    answer_history.c.case_id,
    answer_history.c.id,
)
ix_assignments_reviewer = sa.Index(
    "ix_assignments_reviewer",
    assignments.c.audit_id,
    assignments.c.reviewer,
)

# Added by migration 7 (granskning.store.migration_plan): an audit that is a run of one
# control of an internal-control plan.  Append-only.
plan_runs = sa.Table(
    "plan_runs",
    metadata,
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id"), primary_key=True),
    sa.Column("plan_id", sa.String(40), nullable=False),
    sa.Column("control_id", sa.String(40), nullable=False),
)
ix_plan_runs_plan = sa.Index("ix_plan_runs_plan", plan_runs.c.plan_id, plan_runs.c.control_id)

# Added by migration 8 (granskning.store.migration_deviations): the log of deviations,
# lex Sarah reports, complaints and praise.  Append-only; free text checked for personnummer.
DEVIATION_KINDS = ("avvikelse", "lex_sarah", "klagomal", "berom")
deviation_log = sa.Table(
    "deviation_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("occurred_on", sa.Date, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("category", sa.String(200)),
    sa.Column("source", sa.String(200)),
    sa.Column("concerns", sa.String(200)),
    sa.Column("unit", sa.String(200)),
    sa.Column("reported_ivo", sa.Boolean, nullable=False),
    sa.Column("feedback", sa.Boolean, nullable=False),
    sa.Column("measures", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.CheckConstraint(sa.column("kind").in_(DEVIATION_KINDS), name="ck_deviation_log_kind"),
)
ix_deviation_log_day = sa.Index("ix_deviation_log_day", deviation_log.c.occurred_on)
# Added by migration 9 (granskning.store.migration_double): a share of
# the cases is read a second time, independently, by another reviewer.
second_readings = sa.Table(
    "second_readings",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.String(100), primary_key=True),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("finished_by", sa.String(200)),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
    sa.CheckConstraint(sa.column("status").in_(STATUSES), name="ck_second_readings_status"),
)

# The second reading's answers, append-only: every change is a new row with the next
# version; the current answer is the row with the highest version (value NULL = deleted).
second_answers = sa.Table(
    "second_answers",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, nullable=False),
    sa.Column("case_id", sa.String(100), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("value", sa.Text),  # JSON; NULL = deleted
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
    sa.UniqueConstraint("audit_id", "case_id", "question_id", "version",
                        name="uq_second_answers_version"),
)

# The coordinator's settlements of disagreements, append-only: the latest row for a
# question is the one in force; both readings as they were are kept beside it.
settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, nullable=False),
    sa.Column("case_id", sa.String(100), nullable=False),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("value", sa.Text),  # JSON: the settled answer (NULL: no answer)
    sa.Column("first_value", sa.Text),  # JSON: the first reading when it was settled
    sa.Column("second_value", sa.Text),  # JSON: the second reading when it was settled
    sa.Column("settled_at", UTCDateTime, nullable=False),
    sa.Column("settled_by", sa.String(200), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.ForeignKeyConstraint(["audit_id", "case_id"], list(_case_fk)),
)
