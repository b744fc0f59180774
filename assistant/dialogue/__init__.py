"""Dialogue: the conversation services the Rasa actions call, the Rasa training data made from the catalogue,
and links to the pages a conversation hands over."""
