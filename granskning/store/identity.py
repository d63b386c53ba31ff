"""Who is acting: the name written into answers, assignments and the history.

* **PostgreSQL**: the database user (``SELECT current_user``).  The server has
  checked the password, so the name cannot be typed in: a ``--granskare`` that
  differs from it is refused.  The row-level security policies
  (:mod:`granskning.store.roles`) also refuse, in the database, a history row
  or an answer whose ``changed_by`` is not the connected user.
* **SQLite**: the file belongs to one person's account, so the name is
  ``--granskare`` when given (a shared laptop at an internal-control day),
  otherwise the operating-system user (:func:`getpass.getuser`).

Roles (PostgreSQL only): a *samordnare* (coordinator) is a superuser, the
owner of the tables, or a member of ``granskning_samordnare``; a *granskare*
(reviewer) is a member of ``granskning_granskare`` only.  On SQLite everybody
is a coordinator: whoever can read the file can read all of it.
"""

from __future__ import annotations

import getpass
from typing import Protocol

from granskning.errors import InputError

__all__ = ["COORDINATOR", "REVIEWER", "current", "require_coordinator", "role"]

COORDINATOR = "samordnare"
REVIEWER = "granskare"


class Store(Protocol):
    """What this module needs of a :class:`granskning.store.database.Store`."""

    def database_user(self) -> str | None: ...

    def database_role(self) -> str | None: ...


def current(store: Store, requested: str | None = None) -> str:
    """Return the acting user's name for ``store``; InputError if ``requested`` is not allowed."""
    wanted = " ".join(requested.split()) if requested is not None else None
    user = store.database_user()
    if user is not None:
        if wanted and wanted != user:
            raise InputError(
                f'På en PostgreSQL-databas är du den du loggar in som ("{user}"), inte '
                f'"{wanted}". Utelämna --granskare, eller anslut som {wanted} '
                "(användarnamnet i --db eller GRANSKNING_DB)."
            )
        return user
    if wanted:
        if len(wanted) > 200:
            raise InputError("Namnet i --granskare är för långt (högst 200 tecken).")
        return wanted
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (e.g. a bare container)
        name = ""
    if not name.strip():
        raise InputError("Ditt användarnamn går inte att ta reda på; ange det med --granskare NAMN.")
    return name.strip()


def role(store: Store) -> str:
    """Return ``"samordnare"`` or ``"granskare"`` for the connected user."""
    return store.database_role() or COORDINATOR


def require_coordinator(store: Store, action: str) -> None:
    """Raise InputError unless the connected user is a coordinator (``action`` in Swedish)."""
    if role(store) != COORDINATOR:
        raise InputError(
            f"Bara samordnare får {action}. Du är inloggad som granskare "
            f'("{store.database_user()}"); be samordnaren om hjälp.'
        )
