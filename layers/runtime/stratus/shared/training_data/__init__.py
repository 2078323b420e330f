"""NLU examples, stories, rules and test stories as Rasa 3.x writes them."""
