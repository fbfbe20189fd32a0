"""`wirestream compact`: few large files per partition, every row kept."""

from __future__ import annotations

from pipeline import errors

SYNOPSIS = ("compact --output DIR [--before DATE] [--target-file-mb N] [--retention HOURS] "
            "[--checkpoint] [--convert]")

DESCRIPTION = """Merge each partition's small files into few large ones (one Delta
transaction per table, so readers never see a partition twice or not at
all), then delete the replaced files once they are older than --retention.
Safe while a scheduled run appends. A DIR written by wirestream before Delta
is converted in place first (also done by the first run)."""


def parser():
    from transforms.lake.maintenance import DEFAULT_RETENTION_HOURS, DEFAULT_TARGET_FILE_MB

    parsed = errors.ArgumentParser(prog="wirestream compact", description=DESCRIPTION)
    parsed.add_argument("--output", required=True, help="The wirestream output folder.")
    parsed.add_argument("--before", metavar="DATE",
                        help="Only partitions before this date (YYYY-MM-DD): leave "
                             "today's, which runs still append to.")
    parsed.add_argument("--target-file-mb", type=int, default=DEFAULT_TARGET_FILE_MB,
                        help=f"Size of the merged files (default {DEFAULT_TARGET_FILE_MB}).")
    parsed.add_argument("--retention", type=float, default=DEFAULT_RETENTION_HOURS,
                        metavar="HOURS",
                        help="Replaced files are deleted once older than this "
                             f"(default {DEFAULT_RETENTION_HOURS}: longer than any run "
                             "that may still read them).")
    parsed.add_argument("--checkpoint", action="store_true",
                        help="Also write a Delta checkpoint and drop old log files: faster "
                             "snapshots for readers that go through the log, but DuckDB's plain "
                             "glob over TABLE/**/*.parquet no longer reads the table.")
    parsed.add_argument("--convert", action="store_true",
                        help="Only convert a plain-Parquet DIR to Delta tables, in place.")
    return parsed


def main(argv: list[str]) -> int:
    args = parser().parse_command(argv)
    if args is None:
        return errors.OK
    errors.check_date("--before", args.before)
    if args.target_file_mb < 1 or args.retention < 0:
        raise errors.ConfigError("--target-file-mb must be positive and --retention not negative")
    errors.check_output_exists(args.output)
    from transforms.lake import delta
    from transforms.lake.maintenance import compact

    with errors.failures("compact failed"):
        for line in delta.convert_plain_tables(args.output):
            print(line)
        if args.convert:
            return errors.OK
        for done in compact(args.output, before=args.before,
                            target_file_mb=args.target_file_mb,
                            retention_hours=args.retention, checkpoint=args.checkpoint):
            print(f"{done.table:<13} {done.files_before:>6} files -> {done.files_after:>5} "
                  f"({done.files_removed} merged into {done.files_added}, "
                  f"{done.vacuumed} deleted)")
    return errors.OK
