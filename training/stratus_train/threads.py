"""How many threads TensorFlow trains with.

Stratus' networks are small (DIET on moodbot: ~230 tokens per step, a 2-layer
256-wide transformer), so a training step is a couple of thousand small ops. Splitting
each op over a thread pool costs more than it gains: on a shared 2-core machine one
thread each for intra- and inter-op work trains moodbot's DIET in ~25% less CPU time and
no more wall time than TensorFlow's default pools, and at 256 examples per batch it is
still no slower (SNIPS, bench/nlu_accuracy.py --epochs 5: 100 s, down from ~147 s).
"""

from __future__ import annotations

import logging

from stratus_train.backend import tf

logger = logging.getLogger(__name__)
TRAINING_THREADS = 1


def use_training_threads(threads: int = TRAINING_THREADS) -> bool:
    """Size TensorFlow's thread pools for training; False (and unchanged) once TensorFlow
    has started executing ops in this process, when its pools can no longer change."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        logger.debug("TensorFlow is already running; its thread pools stay as they are")
        return False
    return True
