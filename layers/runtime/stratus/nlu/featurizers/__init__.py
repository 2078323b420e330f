"""Featurizers: turn tokens into sparse (and dense) rows, one per token plus one per sentence."""
