"""House rules that a machine can check: ruff lint and format, and the import layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from player.core.paths import PROJECT_DIR

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: the set-up installs it with the test extras")
    return found


@pytest.mark.parametrize(
    "args",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["lint-imports"]],
    ids=["ruff-check", "ruff-format", "import-layers"],
)
def test_house_rules(args):
    result = subprocess.run(
        [tool(args[0]), *args[1:]],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
