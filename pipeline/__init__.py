"""Options, validation, pipeline wiring and the `wirestream` command."""
