"""The chat's own pieces: follow-up questions resolved against the last turn, and answers as HTML."""
