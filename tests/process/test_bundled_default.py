"""The bundled scenarios file from a real process: `postman-sim numbers` with no local file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_numbers_without_a_local_file_reads_the_bundled_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "POSTMAN_SIM_SCENARIOS"}
    result = subprocess.run([sys.executable, "-m", "simulator", "numbers"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "6511111111" in result.stdout and "recipient_invalid" in result.stdout
