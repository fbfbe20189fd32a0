# Sourced by the set-up scripts: make .venv (once) and install wirestream into
# it with its test extras. Everything comes from PyPI; nothing is assumed to be
# on the machine but Python 3.10+.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
