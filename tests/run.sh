#!/usr/bin/env bash
# The test suite, from a fresh clone: set up .venv (and, as root on Debian,
# the chromium the report test opens pages in), then pytest.
set -euo pipefail
source "$(dirname "$0")/../.ci/venv.sh"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tests/run.sh: installing chromium (Debian) for the report test" >&2
  # Not fatal: without it only the report's browser test fails, and says why.
  { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || echo "tests/run.sh: could not install chromium; the report test will fail" >&2
fi
exec .venv/bin/python -m pytest -q "$@"
