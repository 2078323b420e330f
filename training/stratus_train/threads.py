"""How many threads TensorFlow trains with.

Stratus' networks are small (DIET on moodbot: ~230 tokens per step, a 2-layer
256-wide transformer), so a small bot's training step is a couple of thousand small ops.
Splitting each op over a thread pool costs more than it gains there: on a 2-core machine
one thread each for intra- and inter-op work trains moodbot's DIET in ~25% less CPU time
and no more wall time than TensorFlow's default pools. A large data set is another
matter: with full batches of 64-256 messages the transformer's matrix products dominate
and split well over the cores (2026-12-04, quiet 2-core machine, DIET's epochs only:
CLINC150 1.75x and SNIPS 1.8x faster with two threads than with one).
"""

from __future__ import annotations

import logging

from stratus_train.backend import tf
from stratus_train.background import usable_cores

logger = logging.getLogger(__name__)
TRAINING_THREADS = 1
# Tokens per epoch from which training uses every core (SNIPS: ~117,000, CLINC150:
# ~120,000; moodbot: ~300): around the size where batches reach Rasa's 64 messages.
PARALLEL_FROM_TOKENS = 20_000


def threads_for(tokens_per_epoch: int) -> int:
    """One thread for a small data set, every core this process may use for a large one."""
    if tokens_per_epoch < PARALLEL_FROM_TOKENS:
        return TRAINING_THREADS
    return max(TRAINING_THREADS, usable_cores())


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
