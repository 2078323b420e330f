"""Offline training and ONNX export (TensorFlow lives only here)."""
