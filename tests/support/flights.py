"""Flight bookings with roles and a synonym: the NLU examples several training tests add
to Rasa's moodbot data (as lines of a Rasa YAML `examples: |` block)."""

FLIGHT_EXAMPLES = """\
    - fly from [Berlin]{"entity": "city", "role": "departure"} to [Paris]{"entity": "city", "role": "destination"}
    - a flight from [London]{"entity": "city", "role": "departure"} to [Rome]{"entity": "city", "role": "destination"}
    - book me a flight to [Madrid]{"entity": "city", "role": "destination"} from [Oslo]{"entity": "city", "role": "departure"}
    - I want to go from [Vienna]{"entity": "city", "role": "departure"} to [Berlin]{"entity": "city", "role": "destination"}
    - get me from [Paris]{"entity": "city", "role": "departure"} to [London]{"entity": "city", "role": "destination"}
    - fly to [Rome]{"entity": "city", "role": "destination"} from [Madrid]{"entity": "city", "role": "departure"}
    - flights from [Oslo]{"entity": "city", "role": "departure"} to [Vienna]{"entity": "city", "role": "destination"}
    - travel from [NYC]{"entity": "city", "role": "departure", "value": "New York"} to [Berlin]{"entity": "city", "role": "destination"}
"""
