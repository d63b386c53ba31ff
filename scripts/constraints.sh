#!/usr/bin/env bash
# Refresh constraints.txt from a fresh install of the newest releases (run when
# `make test-nyaste` passes, and commit the result with the test run's figures).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check -e '.[dev]'
{
    echo "# Pinned versions for make demo / make test: the releases this tree was last tested with."
    echo "# make test-nyaste runs the suite with the newest releases (and pyarrow) instead;"
    echo "# refresh this file with scripts/constraints.sh when that passes."
    "$tmp/venv/bin/pip" freeze --exclude-editable --disable-pip-version-check
} > constraints.txt
echo "constraints.txt uppdaterad"
