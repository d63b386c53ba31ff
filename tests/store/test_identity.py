"""Who is acting (granskning.store.identity): the database user on PostgreSQL, else the OS user.

No computed figures here: the expected names are the ones the tests log in as or set.
"""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner

from granskning.cli import cli
from granskning.errors import InputError
from granskning.store import identity

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
POSTGRES = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@SQLITE
def test_sqlite_uses_the_os_user_unless_a_name_is_given(store, monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "kalle")
    assert identity.current(store) == "kalle"
    assert identity.current(store, "  Anna   Ek ") == "Anna Ek"
    assert identity.role(store) == "samordnare"  # whoever can read the file reads it all
    identity.require_coordinator(store, "tilldela ärenden")  # no error

    def no_user() -> str:
        raise KeyError("no passwd entry")

    monkeypatch.setattr(getpass, "getuser", no_user)
    with pytest.raises(InputError, match="ange det med --granskare"):
        identity.current(store)
    with pytest.raises(InputError, match="för långt"):
        identity.current(store, "x" * 201)


@POSTGRES
def test_postgresql_uses_the_database_user(store):
    user = store.database_user()
    assert user == "postgres"  # the superuser of scripts/pg.sh's test server
    assert identity.current(store) == user == identity.current(store, user)
    with pytest.raises(InputError, match='inte "Anna"'):
        identity.current(store, "Anna")
    assert identity.role(store) == "samordnare"  # superuser and owner


def test_default_identity_signs_the_trail(store, monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "kalle")
    audit = store.create_audit("T", "granskning", None, None, None, None, {}, "sam")
    store.add_cases(audit, [{"case_id": "A-1"}])
    store.assign(audit, {"A-1": "anna"})
    expected = "kalle" if store.dialect == "sqlite" else "postgres"
    assert list(store.changes(audit)["changed_by"]) == ["sam", expected, expected]


@POSTGRES
def test_cli_svar_importera_refuses_another_name_on_postgresql(store, db_url, tmp_path):
    r = CliRunner().invoke(cli, ["svar", "importera", str(tmp_path / "x.xlsx"), "--granskning",
                                 "1", "--granskare", "Bo", "--db", db_url])
    assert r.exit_code == 2 and 'du loggar in som ("postgres"), inte "Bo"' in r.stderr
