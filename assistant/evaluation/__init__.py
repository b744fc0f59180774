"""Evaluation of question answering on labelled splits (``assistant eval``) and the calibration of its
confidence (``python -m assistant.evaluation.calibrate``)."""
