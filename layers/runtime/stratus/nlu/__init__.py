"""NLU inference: tokenizers, featurizers, onnxruntime interpreter."""
