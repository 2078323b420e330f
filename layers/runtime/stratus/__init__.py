"""Stratus: Rasa-compatible conversational AI that runs serverless on AWS."""

__version__ = "0.1.0"
# The Rasa release whose behaviour and file formats Stratus follows.
RASA_COMPATIBLE_VERSION = "3.6.21"
