"""Pseudonyms for case ids: a keyed HMAC, with the key kept outside the database.

``granskning ny`` stores every sampled case under :func:`case`'s pseudonym
(``Ä-`` and ten characters, e.g. ``Ä-K7QX2MBD4N``) instead of its real id,
which may be a personnummer or a journal number.  The database, the answer
templates, the history and every report only ever hold pseudonyms.  The way
back is needed only to find the files: the coordinator recomputes it from the
sample workbook (which holds the real ids and is marked "Sekretess enligt OSL
26 kap.") and the key, with ``granskning lista``.

The key
    32 random bytes.  Read from the environment variable ``GRANSKNING_NYCKEL``
    (hex or base64) or from a key file (default ``~/.config/granskning/nyckel``,
    hex).  A coordinator command creates the file on first use with mode 0600
    in a 0700 directory; a key file that its group or others can read is
    refused.  Without the key the pseudonyms cannot be linked to people: HMAC
    with a secret key is a pseudorandom function, so even an attacker who can
    list every possible personnummer (about 10^9 a century) cannot test
    guesses.  Keep a copy of the key (a password manager): without it the
    coordinator's list cannot be made again, though nothing else is lost.

The length
    Ten base32 characters are 50 bits.  Two cases of one audit get the same
    pseudonym with probability about n²/2^51 (the birthday bound): 4·10^-6 for
    n = 100 000 cases, far beyond any audit.  A collision could never pass
    silently anyway: ``Store.add_cases`` refuses a duplicate id, and the
    audit would be created again with a new key.

Databases made before pseudonyms keep their real ids (no migration rewrites
them: the tool cannot know which key the unit wants).  Their ids are still
masked in messages when they are personnummer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.store.values import case_key, show_case_id

if TYPE_CHECKING:
    from granskning.store.database import Store

__all__ = [
    "find_case",
    "DEFAULT_PATH",
    "ENV_VAR",
    "PREFIX",
    "case",
    "is_pseudonym",
    "key",
    "key_file",
    "key_for_new_cases",
    "new_key",
    "pseudonymise",
]

ENV_VAR = "GRANSKNING_NYCKEL"
DEFAULT_PATH = Path("~/.config/granskning/nyckel")
KEY_BYTES = 32
MIN_KEY_BYTES = 16
PREFIX = "Ä-"
LENGTH = 10
DOMAIN = b"granskning/arende/v1\x00"  # the same key could one day serve another purpose
PATTERN = re.compile(rf"{PREFIX}[A-Z2-7]{{{LENGTH}}}")


def case(secret: bytes, real_id: Any) -> str:
    """Return the pseudonym of a case id (the same id and key always give the same one)."""

    text = case_key(real_id)
    digest = hmac.new(secret, DOMAIN + text.encode("utf-8"), hashlib.sha256).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:LENGTH]


def pseudonymise(secret: bytes, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return case rows (for ``Store.add_cases``) with each ``case_id`` replaced by its pseudonym."""
    return [{**row, "case_id": case(secret, row["case_id"])} for row in rows]


def is_pseudonym(text: str) -> bool:
    """Return True when ``text`` has the form of a pseudonym made by :func:`case`."""
    return bool(PATTERN.fullmatch(str(text)))


def key(path: str | Path | None = None, *, create: bool = False) -> bytes:
    """Return the key: from ``GRANSKNING_NYCKEL``, else from the key file.

    ``path`` overrides the default file (``~/.config/granskning/nyckel``); the
    environment variable wins over both.  With ``create`` a missing key file is
    made (only coordinator commands that add cases pass it).
    """
    value = os.environ.get(ENV_VAR)
    if value:
        return _decode(value.strip(), f"miljövariabeln {ENV_VAR}")
    return key_file(path if path is not None else DEFAULT_PATH, create=create)


@contextmanager
def key_for_new_cases(path: str | Path | None = None) -> Iterator[bytes]:
    """Yield the key for a command that adds cases; a key file it made is removed on failure.

    Like :func:`key` with ``create``, except that when the block raises, a key
    file created here is deleted again: a failed ``granskning ny`` leaves no key
    behind (nothing was stored under it), so the next attempt is not mistaken
    for a unit that already has its key.
    """
    file = Path(path if path is not None else DEFAULT_PATH).expanduser()
    made = not os.environ.get(ENV_VAR) and not file.exists()
    secret = key(path, create=True)
    try:
        yield secret
    except BaseException:
        if made:
            file.unlink(missing_ok=True)
        raise


def key_file(path: str | Path, *, create: bool = False) -> bytes:
    """Return the key in the file ``path`` (made first if missing and ``create``)."""
    file = Path(path).expanduser()
    if not file.exists():
        if not create:
            raise InputError(
                f"Nyckeln för pseudonymer saknas: varken {ENV_VAR} eller nyckelfilen {file} "
                "finns. Samordnaren har nyckeln (den skapades när granskningen lades upp)."
            )
        return new_key(file)
    _check_private(file)
    try:
        text = file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Nyckelfilen {file} går inte att läsa ({exc}).") from None
    return _decode(text, f"nyckelfilen {file}")


def new_key(file: str | Path) -> bytes:
    """Create a key file with a fresh random key (mode 0600, directory 0700); return the key."""
    file = Path(file).expanduser()
    try:
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = os.urandom(KEY_BYTES)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"Nyckelfilen {file} finns redan; den skrivs aldrig över.") from None
    except OSError as exc:
        raise InputError(f"Nyckelfilen {file} kan inte skapas ({exc.strerror}).") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return secret


def _check_private(file: Path) -> None:
    info = file.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = stat.S_IMODE(info.st_mode)
        raise InputError(
            f"Nyckelfilen {file} kan läsas av andra än ägaren (rättigheter {mode:04o}). "
            f"Gör den privat med: chmod 600 {file}"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise InputError(f"Nyckelfilen {file} ägs av någon annan användare; använd din egen.")


def _decode(text: str, where: str) -> bytes:
    """Return the key written as hex or base64."""
    secret: bytes | None = None
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) % 2 == 0:
        secret = bytes.fromhex(text)
    else:
        try:
            secret = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            secret = None
    if secret is None or len(secret) < MIN_KEY_BYTES:
        raise InputError(
            f"Nyckeln i {where} är ogiltig: den ska vara minst {MIN_KEY_BYTES} byte, "
            "skrivna hexadecimalt eller i base64."
        )
    return secret


def find_case(store: Store, audit_id: int, given: str) -> str:
    """Return the stored id of a case given as stored (the pseudonym) or by its real id.

    A real id is matched through the unit's key (GRANSKNING_NYCKEL or the key
    file) when it is available; the real id is never stored.
    """
    text = case_key(given)
    known = {c.case_id for c in store.cases(audit_id)}
    if text in known:
        return text
    if not is_pseudonym(text):
        try:
            alias = case(key(), text)
        except InputError:
            alias = None
        if alias in known:
            return alias
    raise InputError(f"Ärendet {show_case_id(text)} finns inte i granskning {audit_id}.")
