"""The `screening-night` command: argparse front door to every sub-command.

Each sub-command lives in `player.commands.<name>` with `add_arguments(parser)` and
`run(args) -> int`. Those modules import nothing heavy at import time (Qt, vlc and ffmpeg are
imported inside `run`), so `--help` and `validate` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys

from player import __version__
from player.core.paths import DEMO_PLAYLIST

# name -> (module, one-line help). Order is the order of `--help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("player.commands.run", "open the operator console and projector output on a playlist"),
    "rehearse": ("player.commands.rehearse", "play the whole night with no window, in real time"),
    "validate": ("player.commands.validate", "check playlists for mistakes (no media decoding)"),
    "check": ("player.commands.check", "check every media file: will it play, will it sound right"),
    "schedule": ("player.commands.schedule", "print the running order with planned times"),
    "cards": ("player.commands.cards", "render every title card of the night to PNG"),
    "prepare": (
        "player.commands.prepare",
        "make show copies of the films the check flags for a room, and a playlist using them",
    ),
    "export": ("player.commands.export", "export to XSPF/M3U for plain VLC, or bundle a night"),
    "verify": ("player.commands.verify", "check a bundle arrived whole (sizes, SHA-256, playlist)"),
    "import": (
        "player.commands.import_csv",
        "turn a festival programme sheet (CSV) into a playlist",
    ),
    "schema": ("player.commands.schema", "print the JSON Schema of the playlist format"),
}

_TOP_FLAGS = {"-h", "--help", "--version"}


class CommandParser(argparse.ArgumentParser):
    """A sub-command's parser. `gather` (a command module's `GATHER`) names a list positional
    that the positionals after an option join, so `check a.mp4 --deep b.mp4` works: plain
    argparse takes only the first run of positionals and refuses the rest. (Not
    `parse_intermixed_args`: Python 3.11's loses a '--' met before any positional, and
    `check -- -a.mp4` must still mean the file '-a.mp4'.)"""

    def __init__(self, *args, gather: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gather = gather

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if self.gather is None or not extras:
            return namespace, extras
        # Left over: later positionals, unknown options, and whatever follows a '--' that came
        # after the first positionals (all of it positional).
        cut = extras.index("--") if "--" in extras else len(extras)
        unknown = [a for a in extras[:cut] if a[:1] in self.prefix_chars]
        later = [a for a in extras[:cut] if a[:1] not in self.prefix_chars] + extras[cut + 1 :]
        setattr(namespace, self.gather, [*(getattr(namespace, self.gather, None) or []), *later])
        return namespace, unknown


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screening-night",
        description=(
            "Run a film-screening evening: a projectionist's console, fullscreen output on the "
            "projector, an organiser's YAML playlist and a technician's media check.\n"
            "With no command, opens the bundled demo night."
        ),
        epilog="Run 'screening-night COMMAND --help' for the options of one command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-vv for debug detail)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            gather=getattr(module, "GATHER", None),
        )
        command.add_argument(
            "-v", "--verbose", action="count", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # No command: open the demo night, passing on any run options (`screening-night --windowed`).
    first = next((i for i, a in enumerate(argv) if not re.fullmatch(r"-v+|--verbose", a)), None)
    if first is None or (argv[first].startswith("-") and argv[first] not in _TOP_FLAGS):
        at = len(argv) if first is None else first
        argv[at:at] = ["run", str(DEMO_PLAYLIST)]
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
