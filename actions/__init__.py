"""Thin rasa-sdk actions over the conversation services (``assistant.dialogue.conversation``).

Each action takes a :class:`Services` (how to reach the current knowledge, the public address for links) so it
can be registered as an instance; :func:`build_executor` registers them all.
"""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from actions.answer import ActionAnswer, ActionHandoff
from actions.checklist import (
    ActionAskScenarioAnswer,
    ActionCancel,
    ActionGoBack,
    ActionSendChecklist,
    ActionStartChecklist,
    ActionStartOver,
    ValidateChecklistForm,
)
from actions.services import Services

ACTIONS = (
    ActionAnswer,
    ActionHandoff,
    ActionStartChecklist,
    ValidateChecklistForm,
    ActionAskScenarioAnswer,
    ActionSendChecklist,
    ActionGoBack,
    ActionStartOver,
    ActionCancel,
)


def build_executor(services: Services) -> ActionExecutor:
    """An action executor with every action of the assistant registered over ``services``."""
    executor = ActionExecutor()
    for action in ACTIONS:
        executor.register_action(action(services))
    return executor


__all__ = ["ACTIONS", "Services", "build_executor"]
