"""The one definition of every record type and output table."""
