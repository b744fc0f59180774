"""The load test (``python -m assistant.loadtest``) and its fault script (``python -m assistant.loadtest.faults``):
simulated web chat users and WeChat followers replaying real messages and scripted checklists against
``assistant serve``; they print figures and assert nothing (the small unit tests are in ``tests/assistant/loadtest``)."""
