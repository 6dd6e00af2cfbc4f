"""`qa serve`: the chat and the HTTP API over one loaded Assistant."""
