"""Helpers for tests that connect to PostgreSQL as a coordinator or reviewer role.

:func:`role_database` makes a fresh schema on the test server
(``GRANSKNING_TEST_PG``, superuser), migrates it, runs ``granskning db init
--roller``'s :meth:`Store.setup_roles` and creates login roles with unique names;
it returns the URLs to connect as each of them.  ``pg.sh`` trusts connections on
127.0.0.1, so no passwords are needed.  Everything is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RoleDatabase:
    admin_url: str  # the superuser (owner of the tables), in the test schema
    urls: dict[str, str]  # login role name -> URL in the test schema
    names: dict[str, str]  # short name given by the test -> login role name
    schema: str

    def url(self, short: str) -> str:
        return self.urls[self.names[short]]


def _url(base, user: str | None, schema: str) -> str:
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    if user is not None:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


@contextmanager
def role_database(server_url: str, people: dict[str, str]) -> Iterator[RoleDatabase]:
    """Yield a migrated schema with roles; ``people`` maps a short name to a role."""
    import sqlalchemy as sa

    from granskning.store.database import Store

    base = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    tag = uuid.uuid4().hex[:8]
    schema = f"test_roles_{tag}"
    names = {short: f"{short}_{tag}" for short in people}
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        admin_url = _url(base, None, schema)
        with Store.open(admin_url, create=True) as store:
            store.migrate()
            store.setup_roles()
            for short, role in people.items():
                store.add_user(names[short], role)
        yield RoleDatabase(
            admin_url, {n: _url(base, n, schema) for n in names.values()}, names, schema
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
            for name in names.values():
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        admin.dispose()


def raw_engine(url: str):
    """An engine on ``url`` that sends SQL as psql would: no tool in between."""
    import sqlalchemy as sa

    return sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))


@contextmanager
def two_case_audit(server_url: str, people: dict[str, str]) -> Iterator[RoleDatabase]:
    """:func:`role_database` holding audit 1 ("Hösten") with cases A-1 and A-2 in stratum S,
    A-1 assigned to ``anna``, all written by the tool as ``admin``."""
    from granskning.store.database import Store

    with role_database(server_url, people) as rdb:
        with Store.open(rdb.admin_url) as admin:
            audit = admin.create_audit("Hösten", "granskning", None, None, None, None, {}, "admin")
            admin.add_cases(audit, [{"case_id": f"A-{i}", "stratum": "S", "draw_order": i}
                                    for i in (1, 2)], who="admin")
            admin.assign(audit, {"A-1": rdb.names["anna"]}, who="admin")
        yield rdb
