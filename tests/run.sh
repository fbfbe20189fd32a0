#!/usr/bin/env bash
# The test suite, from a fresh clone: set up .venv, then pytest.
set -euo pipefail
source "$(dirname "$0")/../.ci/venv.sh"
exec .venv/bin/python -m pytest -q "$@"
