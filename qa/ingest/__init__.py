"""Reading documents: a corpus folder, its files' formats, and the split into sentences and passages."""
