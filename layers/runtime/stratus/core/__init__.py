"""The dialogue engine: message processing, policies, actions (issue 4)."""
