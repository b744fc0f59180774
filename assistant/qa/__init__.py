"""Question answering: analyse -> retrieve -> score -> decide -> compose (see :mod:`assistant.qa.answerer`)."""

from assistant.qa.answerer import Answer, Candidate, Choice, QuestionAnswerer
from assistant.qa.decision import Thresholds

__all__ = ["Answer", "Candidate", "Choice", "QuestionAnswerer", "Thresholds"]
