"""A process's own peak resident memory, for the benchmarks' "peak RSS" figures.

`resource.getrusage(RUSAGE_SELF).ru_maxrss` overstates it for a spawned process on
Linux: exec keeps the high-water mark of the address space it replaces, so a child that
a 1.1 GB benchmark starts reports at least 1.1 GB however little it uses itself (Python's
subprocess starts children with vfork, which shares the parent's address space until the
exec). `VmHWM` in /proc/self/status is the high-water mark of the process's own address
space, and writing 5 to /proc/self/clear_refs starts it again from the current RSS.

Stdlib only: Rasa's peer script imports this from Rasa's venv too.
"""

from __future__ import annotations

import resource
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_mb() -> float:
    """This process's peak RSS in MB since it started, or since `reset_peak_rss`."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    # No procfs (not Linux): the rusage figure, with the caveat above.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_rss() -> bool:
    """Start the peak again from the current RSS, so a figure covers one step of a
    longer process. False when the kernel does not allow it (the peak then covers the
    whole process so far)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True
