"""Response rendering: domain responses (templated) or an external NLG endpoint."""

from stratus.core.nlg.callback import CallbackNaturalLanguageGenerator
from stratus.core.nlg.generator import (
    NaturalLanguageGenerator,
    TemplatedNaturalLanguageGenerator,
    generator_for_endpoint,
)
from stratus.core.nlg.interpolation import interpolate

__all__ = [
    "CallbackNaturalLanguageGenerator",
    "NaturalLanguageGenerator",
    "TemplatedNaturalLanguageGenerator",
    "generator_for_endpoint",
    "interpolate",
]
