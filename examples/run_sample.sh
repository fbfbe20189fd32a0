#!/usr/bin/env bash
# The main job on the bundled sample, from a fresh clone: set up .venv, run
# `wirestream run` offline into out/sample, then show what the tables hold.
set -euo pipefail
source "$(dirname "$0")/../.ci/venv.sh"
rm -rf out/sample
.venv/bin/wirestream run --output out/sample "$@"
.venv/bin/python examples/show_tables.py out/sample
