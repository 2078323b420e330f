"""The pure data model shared by the engine, training code and every Lambda.

Nothing here imports ML or AWS libraries (enforced by import-linter).
"""
