"""Offline training and ONNX export (TensorFlow lives only here)."""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) drowns the training progress.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
