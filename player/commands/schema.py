"""`screening-night schema`: the JSON Schema of the playlist format, for YAML editors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="write to this file instead of printing")


def run(args: argparse.Namespace) -> int:
    from player.core.atomic import atomic_write
    from player.core.playlist_io import schema_json

    text = json.dumps(schema_json(), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        atomic_write(args.out, text)
    else:
        print(text, end="")
    return 0
