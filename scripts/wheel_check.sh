#!/usr/bin/env bash
# Build the wheel, install it in a fresh venv (pinned dependencies, no source tree on the
# path) and run what a user who ran `pip install granskning` would: the bundled checklists,
# protocols and report texts must be inside the wheel.  Also builds once without build
# isolation against the oldest setuptools that pyproject.toml admits.
#
#   scripts/wheel_check.sh [PYTHON]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-python3}"
tmp="$(mktemp -d /tmp/granskning-hjul.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "hjulkontroll: $*" >&2; exit 1; }
pipq() { "$@" --quiet --disable-pip-version-check; }

# A clean copy of the tree as committed plus working changes, without venvs or caches.
mkdir -p "$tmp/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null) \
    | tar -xf - -C "$tmp/src"

echo "Bygger hjulet ..."
"$PY" -m venv "$tmp/venv"
pipq "$tmp/venv/bin/pip" install --upgrade pip
pipq "$tmp/venv/bin/pip" wheel --no-deps -w "$tmp/dist" "$tmp/src"
wheel="$(ls "$tmp"/dist/granskning-*.whl)"

# Everything under granskning/data must be in the wheel.
expected="$(cd "$tmp/src" && find granskning/data -type f | sort)"
inwheel="$("$tmp/venv/bin/python" -c 'import sys, zipfile; print("\n".join(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.startswith("granskning/data/") and not n.endswith("/"))))' "$wheel")"
[[ "$expected" == "$inwheel" ]] || { diff <(echo "$expected") <(echo "$inwheel") >&2 || true; fail "hjulet saknar filer ur granskning/data"; }

echo "Installerar hjulet i en ny miljö ..."
pipq "$tmp/venv/bin/pip" install -c "$ROOT/constraints.txt" "$wheel"
cd "$tmp"   # not the source tree: only the installed package can be imported
where="$("$tmp/venv/bin/python" -c 'import granskning; print(granskning.__file__)')"
[[ "$where" == "$tmp/venv/"* ]] || fail "granskning importerades från $where, inte från hjulet"
g="$tmp/venv/bin/granskning"
"$g" --help >/dev/null
# Captured first: `| grep -q` would close the pipe at the first match and, under pipefail,
# fail the check whenever the listing was still being written.
listing="$("$g" checklista lista)" || fail "checklista lista misslyckades"
grep -q forhandsbedomning-0-12 <<<"$listing" || fail "checklista lista saknar de medföljande checklistorna"
"$g" checklista visa forhandsbedomning-0-12 >/dev/null
"$g" checklista validera forhandsbedomning-0-12 >/dev/null
"$g" demo --ut "$tmp/demo" >/dev/null
for f in granskningsrapport.pdf tabeller.xlsx internkontroll.pdf urval.xlsx; do
    [[ -s "$tmp/demo/$f" ]] || fail "demo från hjulet skrev inte $f"
done

echo "Bygger utan isolering med den äldsta setuptools som pyproject.toml tillåter ..."
oldest="$(sed -n 's/.*"setuptools>=\([0-9.]*\)".*/\1/p' "$tmp/src/pyproject.toml")"
[[ -n "$oldest" ]] || fail "hittar inte setuptools-kravet i pyproject.toml"
"$PY" -m venv "$tmp/old"
pipq "$tmp/old/bin/pip" install "setuptools==$oldest.*" wheel
pipq "$tmp/old/bin/pip" wheel --no-deps --no-build-isolation -w "$tmp/dist-old" "$tmp/src"
echo "Hjulkontrollen klar: $(basename "$wheel") innehåller $(echo "$inwheel" | wc -l) datafiler; demo kördes från hjulet."
