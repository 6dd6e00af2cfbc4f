"""`qa train`: fit the answer model and its calibration from question files."""
