"""examples/schedule/: the cron lines, the systemd units and the Airflow DAG
say what they should (the DAG is checked with Python's ast: Airflow is too
heavy an install for the test extra)."""

import ast
import configparser
import subprocess
import sys

from tests.conftest import REPO

SCHEDULE = REPO / "examples" / "schedule"


def test_cron_runs_every_15_minutes_and_compacts_daily():
    lines = [line for line in (SCHEDULE / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    fields = [line.split(None, 5) for line in lines]
    assert fields[0][:5] == ["*/15", "*", "*", "*", "*"] and "wirestream run" in fields[0][5]
    assert fields[1][:2] == ["10", "3"] and "wirestream compact" in fields[1][5]


def test_systemd_timer_starts_the_oneshot_service():
    service, timer = configparser.ConfigParser(), configparser.ConfigParser()
    service.read(SCHEDULE / "wirestream-run.service")
    timer.read(SCHEDULE / "wirestream-run.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert "wirestream run" in service["Service"]["ExecStart"]
    assert timer["Timer"]["OnCalendar"] == "*:0/15"


def test_airflow_dag_launches_the_beam_entry_point_without_overlap():
    tree = ast.parse((SCHEDULE / "airflow_dag.py").read_text())
    calls = {node.func.id: node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    beam = {k.arg: k.value for k in calls["BeamRunPythonPipelineOperator"].keywords}
    assert ast.literal_eval(beam["runner"]) == "DataflowRunner"
    assert "examples/schedule/wirestream_run.py" in ast.unparse(beam["py_file"])
    # wirestream is not on PyPI: the operator installs the checkout itself.
    assert ast.unparse(beam["py_requirements"]) == "[REPO]"
    dags = [{k.arg: ast.unparse(k.value) for k in node.keywords}
            for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "DAG"]
    assert dags[0]["max_active_runs"] == "1"
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert "BeamRunPythonPipelineOperator" in imported


def test_the_entry_point_is_wirestream_run(tmp_path):
    done = subprocess.run([sys.executable, str(SCHEDULE / "wirestream_run.py"), "--help"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and "wirestream run" in done.stdout
