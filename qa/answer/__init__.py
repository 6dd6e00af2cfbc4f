"""Answering: pool passages, read them with the trained span reader, decide (calibrated), cite by offsets."""
