"""One module per `wirestream` command; pipeline/cli.py lists them.

A command module defines SYNOPSIS (its usage line, after "wirestream ") and
`main(argv) -> int`, which prints its own --help, raises ConfigError for a
usage error and does its work inside `pipeline.errors.failures(...)`. Keep
the module's top-level imports light: `wirestream --help` imports every
command module for its synopsis, and should not wait for Beam or spaCy.
"""
