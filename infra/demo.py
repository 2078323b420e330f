"""`make demo`: show what Stratus makes of the example bot (more as the engine grows)."""

from __future__ import annotations

import sys
from pathlib import Path

from stratus.cli.main import main

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(main(["validate", "--project", str(ROOT / "examples" / "restaurantbot")]))
