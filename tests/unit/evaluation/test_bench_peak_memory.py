"""bench/peak_memory.py: a spawned process's peak RSS is its own, not its parent's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"

# Run in fresh interpreters, so the pytest process's own memory plays no part.
PARENT = r"""
import json, resource, subprocess, sys
sys.path.insert(0, sys.argv[1])
import peak_memory
ballast = bytearray(b"\1") * (200 << 20)   # written, so resident
child = subprocess.run(
    [sys.executable, "-c",
     "import json, resource, sys; sys.path.insert(0, sys.argv[1]); import peak_memory; "
     "print(json.dumps([peak_memory.peak_rss_mb(), "
     "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))",
     sys.argv[1]],
    capture_output=True, text=True, check=True)
own, inherited = json.loads(child.stdout)
before = peak_memory.peak_rss_mb()
del ballast
reset = peak_memory.reset_peak_rss()
print(json.dumps({"own": own, "inherited": inherited, "before": before,
                  "reset": reset, "after": peak_memory.peak_rss_mb()}))
"""


def test_a_child_of_a_big_process_reports_its_own_peak() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PARENT, str(BENCH)], capture_output=True, text=True, check=True
    )
    figures = json.loads(done.stdout)
    # ru_maxrss carries the parent's 200 MB into the child (why the module exists) ...
    assert figures["inherited"] > 200
    # ... VmHWM does not: a bare interpreter is well under 100 MB.
    assert figures["own"] < 100
    assert figures["before"] > 200
    if figures["reset"]:
        # After the ballast is freed and the peak reset, the peak is the RSS from then on.
        assert figures["after"] < 100
