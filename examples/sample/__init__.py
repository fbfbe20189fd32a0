"""Sample feeds and archive bundled with wirestream (see examples/README.md)."""
