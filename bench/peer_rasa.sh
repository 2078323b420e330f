#!/usr/bin/env bash
# Install the Rasa 3.6 peer (../shared/peers/rasa/install.sh) into a cache venv, once.
# Usage: bash bench/peer_rasa.sh [VENV_DIR]   (default: .peers/rasa in the repository)
# Prints the venv path on the last line of stdout. Reinstalls only when the venv does not
# answer `import rasa` with the expected version.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
VENV="${1:-$REPO/.peers/rasa}"
WANT="3.6.21"
INSTALLER="${STRATUS_RASA_INSTALLER:-$REPO/../shared/peers/rasa/install.sh}"

installed() {
  [ -x "$VENV/bin/python" ] && RASA_TELEMETRY_ENABLED=false "$VENV/bin/python" - "$WANT" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("rasa") == sys.argv[1] else 1)
PY
}

if installed; then
  echo "rasa $WANT already installed in $VENV" >&2
else
  [ -f "$INSTALLER" ] || { echo "peer installer not found: $INSTALLER" >&2; exit 1; }
  mkdir -p "$(dirname "$VENV")"
  # The cache never belongs in git.
  [ -f "$(dirname "$VENV")/.gitignore" ] || echo '*' > "$(dirname "$VENV")/.gitignore"
  echo "installing rasa $WANT into $VENV (about 1.5 minutes, 2.7 GB)" >&2
  bash "$INSTALLER" "$VENV" >&2
  installed || { echo "rasa $WANT is not importable from $VENV after install" >&2; exit 1; }
fi
echo "$VENV"
