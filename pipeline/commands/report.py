"""`wirestream report`: a self-contained HTML page with charts of DIR."""

from __future__ import annotations

from pipeline import errors

SYNOPSIS = "report --output DIR --html FILE [--since DATE]"

DESCRIPTION = """Write one HTML file with charts of what DIR holds: mentions over time of
the top entities, strongest co-mentions and relations, cluster sizes and
syndication lag per outlet, feed health and latency. The file needs no
network to view (no scripts, fonts or images from elsewhere)."""


def parser():
    parsed = errors.ArgumentParser(prog="wirestream report", description=DESCRIPTION)
    parsed.add_argument("--output", required=True, help="The wirestream output folder.")
    parsed.add_argument("--html", required=True, metavar="FILE", help="Where to write the page.")
    parsed.add_argument("--since", metavar="DATE",
                        help="Only stories published (and runs made) on or after DATE, YYYY-MM-DD.")
    return parsed


def main(argv: list[str]) -> int:
    args = parser().parse_command(argv)
    if args is None:
        return errors.OK
    errors.check_date("--since", args.since)
    errors.check_output_exists(args.output)
    _check_html_path(args.html)
    from transforms.lake.report import render

    with errors.failures("report failed"):
        page = render(args.output, args.since)
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(page)
    print(f"wrote {args.html} ({len(page) // 1024} KiB)")
    return errors.OK


def _check_html_path(html: str) -> None:
    """Where the page goes must be a file in a folder that exists: found
    out only after the whole report was rendered, and as exit 1, before."""
    import os

    if os.path.isdir(html):
        raise errors.ConfigError(f"--html {html}: is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(html))
    if not os.path.isdir(folder):
        raise errors.ConfigError(f"--html {html}: no such folder {folder}")
