"""The local stack: what `stratus run` and the tests build from template.yaml."""
