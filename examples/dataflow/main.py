"""Dataflow Flex Template entry point (FLEX_TEMPLATE_PYTHON_PY_FILE).

The template launcher runs `python main.py --output=gs://... --project=...
--region=... ...`: the template's parameters and Dataflow's options as flags.
That is `wirestream run` with the same flags, so this file hands them to the
installed wirestream CLI, which validates them (exit 2 on a usage error),
builds the pipeline and submits it. The runner is Dataflow unless the flags
name another: without one, wirestream would run the job on the launcher VM.
"""

import sys

from pipeline.cli import entry

if __name__ == "__main__":
    args = sys.argv[1:]
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args = ["--runner=DataflowRunner", *args]
    sys.argv = ["wirestream", "run", *args]
    entry()
