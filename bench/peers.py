"""Where the peer (Rasa 3.6) lives: the venv of bench/peer_rasa.sh, shared by every bench
that runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def peer_venv(given: Path | None = None) -> Path:
    """`given`, or the Rasa 3.6 venv of bench/peer_rasa.sh (installed on first use)."""
    if given is not None:
        return given
    installed = subprocess.run(
        ["bash", str(HERE / "peer_rasa.sh")], check=True, capture_output=True, text=True
    )
    return Path(installed.stdout.strip().splitlines()[-1])
