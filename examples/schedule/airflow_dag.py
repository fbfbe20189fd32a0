"""Airflow: wirestream every 15 minutes on Dataflow, compaction daily.

Uses the Apache Beam provider's operator (apache-airflow-providers-apache-beam)
to launch the pipeline with the package's setup.py, so Dataflow workers get
wirestream and its spaCy model. `max_active_runs=1` keeps Airflow from
overlapping runs; the lease on the output folder refuses an overlapping run
anyway (exit 2), whoever starts it.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

OUTPUT = "gs://my-bucket/news"
REPO = "/opt/wirestream"

with DAG(
    dag_id="wirestream_run",
    schedule=timedelta(minutes=15),
    start_date=datetime(2026, 12, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2)},
) as run_dag:
    BeamRunPythonPipelineOperator(
        task_id="wirestream_run",
        py_file=f"{REPO}/examples/schedule/wirestream_run.py",
        pipeline_options={
            "feeds": f"{REPO}/feeds.yaml",
            "output": OUTPUT,
            "setup_file": f"{REPO}/setup.py",
            "region": "europe-west1",
            "temp_location": "gs://my-bucket/tmp",
        },
        runner="DataflowRunner",
        # wirestream is not on PyPI: install the checkout the DAG points at.
        py_requirements=[REPO],
        py_system_site_packages=False,
    )

with DAG(
    dag_id="wirestream_compact",
    schedule="10 3 * * *",
    start_date=datetime(2026, 12, 1),
    catchup=False,
) as compact_dag:
    BashOperator(
        task_id="compact",
        bash_command=f"wirestream compact --output {OUTPUT} --before {{{{ ds }}}}",
    )
