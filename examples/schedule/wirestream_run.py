"""`wirestream run` for launchers that run a Python file with pipeline
options as flags (Airflow's BeamRunPythonPipelineOperator, Dataflow
templates): python wirestream_run.py --feeds F --output DIR [Beam options]."""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
