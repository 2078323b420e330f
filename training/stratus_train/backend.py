"""TensorFlow and Keras, imported cheaply: training code takes both from here.

Two savings on a CPU budget where moodbot trains in ~7 s:

- `import tensorflow` imports Keras, and Keras imports matplotlib (~0.4 s) for one thing
  only: its image-gallery plotting helpers, which try the import and do without when it
  fails. Training plots nothing, so matplotlib is hidden for the length of this import
  and importable as usual right after (`stratus test` still draws its charts).
- The import allocates ~300k objects that live as long as the process. Python's cyclic
  collector would walk them during the import (~0.35 s) and again in every full
  collection afterwards, e.g. while a training step is traced (~25% of tracing time), so
  it is paused for the import and the objects are then frozen out of its reach
  (`gc.freeze`; reference counting still frees them as usual).

Importing TensorFlow elsewhere first only loses the savings.
"""

from __future__ import annotations

import gc
import sys

_HIDDEN = "matplotlib"
_fresh = "tensorflow" not in sys.modules
_hide = _fresh and _HIDDEN not in sys.modules
_collecting = gc.isenabled()
if _fresh:
    gc.disable()
if _hide:
    sys.modules[_HIDDEN] = None  # type: ignore[assignment]  # import now raises ImportError
try:
    import keras
    import tensorflow as tf
finally:
    if _hide and sys.modules.get(_HIDDEN, False) is None:
        del sys.modules[_HIDDEN]
    if _fresh:
        gc.freeze()
        if _collecting:
            gc.enable()

__all__ = ["keras", "tf"]
