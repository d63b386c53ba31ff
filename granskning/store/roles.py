"""PostgreSQL roles and rights: coordinators (samordnare) and reviewers (granskare).

Two group roles, shared by every database on the server (roles are per server):

``granskning_samordnare``
    reads everything; creates audits and cases, assigns, answers; reads the
    history and appends to the trail of assignments (the answer history is written
    by the database itself, migration 4).  No DELETE anywhere, no UPDATE of the history.
``granskning_granskare``
    reads the audits, and through row-level security only the cases assigned to
    them (or, in a survey, the cases whose case worker they are) with their
    answers and history; writes answers and the status of their assignments.
    Every write must be signed with their own name, and every change of an answer
    (by the tool, psql or any other client) gets a history row from the database's
    trigger, with the server's time and the login.

People are LOGIN roles that are members of one group (``granskning db anvandare``).
The owner of the tables (whoever ran ``granskning db init``) is above both: it
bypasses row-level security and runs migrations; the history trigger of
migration 3 still stops it from changing or deleting history rows.

The policies themselves are created by migration 3 (:mod:`granskning.store.migrations`);
this module creates the groups and GRANTs (again after a migration: safe to repeat).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from granskning.errors import InputError, StoreError

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["GROUPS", "add_user", "create_groups", "grant", "groups_exist", "role_of_current_user"]

COORDINATORS, REVIEWERS = "granskning_samordnare", "granskning_granskare"
GROUPS = {"samordnare": COORDINATORS, "granskare": REVIEWERS}
USER_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")

_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {c}, {r}",
    "GRANT SELECT ON schema_version, audits, cases, assignments, answers TO {c}, {r}",
    "GRANT SELECT ON answer_history TO {c}, {r}",
    # Answer history is written only by the trigger of migration 4 (SECURITY DEFINER).
    "REVOKE INSERT ON answer_history FROM {c}, {r}",
    "GRANT SELECT, INSERT ON change_log TO {c}, {r}",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {c}, {r}",
    "GRANT EXECUTE ON FUNCTION granskning_case_visible(integer, text, text) TO {c}, {r}",
    "GRANT INSERT, UPDATE ON audits, cases, assignments, answers TO {c}",
    "GRANT INSERT, UPDATE ON answers TO {r}",
    "GRANT INSERT ON assignments TO {r}",
    "GRANT UPDATE (status, finished_at, finished_by) ON assignments TO {r}",
    # Double reading (granskning.store.migration_double); row-level security decides whose.
    "GRANT SELECT ON second_readings, second_answers TO {c}, {r}",
    "GRANT INSERT, UPDATE ON second_readings TO {c}",
    "GRANT UPDATE (status, finished_at, finished_by) ON second_readings TO {r}",
    "GRANT INSERT ON second_answers TO {r}",
    "GRANT SELECT, INSERT ON settlements TO {c}",
    "GRANT EXECUTE ON FUNCTION granskning_second_reader(integer, text, text) TO {c}, {r}",
    "REVOKE UPDATE, DELETE, TRUNCATE ON second_answers, settlements FROM PUBLIC, {c}, {r}",
    "REVOKE DELETE, TRUNCATE ON second_readings FROM PUBLIC, {c}, {r}",
    "REVOKE UPDATE, DELETE, TRUNCATE ON answer_history, change_log FROM PUBLIC, {c}, {r}",
    "REVOKE DELETE, TRUNCATE ON audits, cases, assignments, answers FROM PUBLIC, {c}, {r}",
    # Migration 7: which audit runs which control of a plan (written with the audit).
    "GRANT SELECT ON plan_runs TO {c}, {r}",
    "GRANT INSERT ON plan_runs TO {c}",
    "REVOKE UPDATE, DELETE, TRUNCATE ON plan_runs FROM PUBLIC, {c}, {r}",
    # Migration 8: the deviation log, the unit managers' (coordinators') only.
    "GRANT SELECT, INSERT ON deviation_log TO {c}",
    "REVOKE ALL ON deviation_log FROM PUBLIC, {r}",
    "REVOKE UPDATE, DELETE, TRUNCATE ON deviation_log FROM {c}",
)


def groups_exist(conn: sa.Connection) -> bool:
    """Return True when both group roles exist on the server."""
    found = conn.exec_driver_sql(
        "SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname IN "
        f"('{COORDINATORS}', '{REVIEWERS}')"
    ).scalar_one()
    return int(found) == 2


def create_groups(conn: sa.Connection) -> tuple[str, ...]:
    """Create the missing group roles (NOLOGIN); return the names created."""
    existing = set(
        conn.exec_driver_sql(
            "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname IN "
            f"('{COORDINATORS}', '{REVIEWERS}')"
        ).scalars()
    )
    created = []
    for name in (COORDINATORS, REVIEWERS):
        if name in existing:
            continue
        if not _may_create_roles(conn):
            raise StoreError(
                f"Rollen {name} finns inte och användaren {_me(conn)} får inte skapa roller. "
                "Låt en databasadministratör (med CREATEROLE) köra: granskning db init --roller"
            )
        conn.exec_driver_sql(f"CREATE ROLE {name} NOLOGIN")
        created.append(name)
    return tuple(created)


def grant(conn: sa.Connection) -> None:
    """Grant both groups their rights on the tables of the current schema."""
    quote = conn.dialect.identifier_preparer.quote
    schema = quote(conn.exec_driver_sql("SELECT current_schema()").scalar_one())
    for statement in _GRANTS:
        conn.exec_driver_sql(statement.format(schema=schema, c=COORDINATORS, r=REVIEWERS))


def add_user(conn: sa.Connection, name: str, role: str, *, password: str | None = None) -> bool:
    """Create login role ``name`` in the group for ``role`` (or add it); True if created."""
    if role not in GROUPS:
        raise InputError(f'Okänd roll "{role}": välj granskare eller samordnare.')
    if not USER_NAME.fullmatch(name or ""):
        raise InputError(
            f'Användarnamnet "{name}" går inte att använda: skriv det med små bokstäver a–z, '
            "siffror och understreck (högst 63 tecken, börjar med en bokstav), t.ex. anna_ek."
        )
    if not groups_exist(conn):
        raise StoreError("Rollerna saknas i databasen. Kör först: granskning db init --roller")
    exists = conn.exec_driver_sql(
        "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %(n)s", {"n": name}
    ).first()
    group = GROUPS[role]
    if exists is None:
        if not _may_create_roles(conn):
            raise StoreError(
                f"Användaren {_me(conn)} får inte skapa inloggningar (CREATEROLE saknas); "
                "be databasadministratören."
            )
        conn.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN IN ROLE {group}')
    else:
        conn.exec_driver_sql(f'GRANT {group} TO "{name}"')
    if password is not None:
        from psycopg import sql

        if "\x00" in password:
            raise InputError("Lösenordet får inte innehålla nolltecken.")
        raw = conn.connection.dbapi_connection
        statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(name), sql.Literal(password)
        )
        conn.exec_driver_sql(statement.as_string(raw).replace("%", "%%"), {})
    return exists is None


def role_of_current_user(conn: sa.Connection) -> str:
    """Return ``"samordnare"`` or ``"granskare"`` for the connected PostgreSQL user."""
    row = conn.exec_driver_sql(
        f"""SELECT r.rolsuper,
          EXISTS (SELECT 1 FROM pg_catalog.pg_roles g WHERE g.rolname = '{COORDINATORS}'
                  AND pg_catalog.pg_has_role(current_user, g.oid, 'MEMBER')),
          COALESCE((SELECT pg_catalog.pg_has_role(current_user, c.relowner, 'MEMBER')
                    FROM pg_catalog.pg_class c WHERE c.oid = to_regclass('audits')), false)
        FROM pg_catalog.pg_roles r WHERE r.rolname = current_user"""
    ).one()
    superuser, coordinator, owner = row
    return "samordnare" if (superuser or coordinator or owner) else "granskare"


def _may_create_roles(conn: sa.Connection) -> bool:
    row = conn.exec_driver_sql(
        "SELECT rolsuper OR rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user"
    ).scalar()
    return bool(row)


def _me(conn: sa.Connection) -> str:
    return str(conn.exec_driver_sql("SELECT current_user").scalar_one())
