"""`qa train`: fit the span reader and its calibration from SQuAD-format files."""
