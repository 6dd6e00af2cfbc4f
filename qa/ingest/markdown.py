"""The block structure of a Markdown body, read by markdown-it-py: headings and text blocks as exact offsets."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Tokens that hold a block's own lines; the containers around them (lists, quotes, tables) hold only these.
_LEAVES = frozenset({"paragraph_open", "heading_open", "fence", "code_block", "html_block", "tr_open"})
# A line in no leaf block that holds only markup: a thematic break, an empty quote line or list item, a table's
# delimiter row. Any other such line (a link reference definition, a marker past the parser's nesting limit) is text.
_MARKUP_LINE = re.compile(r"[\s>*_+|:-]*")


class Block(NamedTuple):
    """text[start:end] is a heading's own words when `level` (1 to 6) is set, else a run of text to split into
    sentences: a paragraph, a list item's paragraph, a table row, a code block, an HTML block."""

    start: int
    end: int
    level: int = 0


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt  # only indexing reads Markdown: asking a question never loads the parser

    return MarkdownIt("commonmark").enable("table")


def _same_length_source(body: str) -> str:
    """The body as markdown-it reads it, character for character: its own normalisation turns \\r\\n into \\n (one
    character fewer per line); a space in place of each such \\r keeps every offset (trailing white space of a line
    changes no block), and the NUL it replaces with U+FFFD is replaced here too, so inline content can be found."""
    return body.replace("\r\n", " \n").replace("\r", "\n").replace("\0", "\ufffd")


def markdown_blocks(text: str, body_start: int = 0) -> list[Block]:
    """The blocks of the Markdown body text[body_start:], in order, as offsets into `text`.

    A heading is a block only at the top level (one inside a quote or a list item is text of its lines) and
    spans its inline content: `Costs` in `## Costs ##` or in `Costs` over `=====`. Code, with any `#` line in it,
    is text. Blocks are whole source lines otherwise, list markers and quote markers included, so every word of
    the body stays in some block; lines of markup alone (thematic breaks, table delimiter rows) are in none.
    """
    src = _same_length_source(text[body_start:])
    starts = [0] + [m.end() for m in re.finditer("\n", src)]
    ends = [s - 1 for s in starts[1:]] + [len(src)]
    tokens = _parser().parse(src)
    blocks: list[Block] = []
    covered = bytearray(len(starts))
    for i, token in enumerate(tokens):
        if token.type not in _LEAVES or token.map is None:
            continue
        first, last = token.map[0], token.map[1] - 1
        covered[first:last + 1] = b"\1" * (last + 1 - first)
        if token.type == "heading_open" and token.level == 0:
            content = tokens[i + 1].content
            if not content:  # `#` alone: an empty heading, markup only
                continue
            # The content is a slice of the source, trimmed: after the opening marks of an ATX heading, from the
            # first line of a setext one (at the top level markdown-it takes its lines whole)
            after = src.index("#", starts[first]) + len(token.markup) if token.markup.startswith("#") else starts[first]
            start = src.index(content, after)
            blocks.append(Block(start, start + len(content), int(token.tag[1])))
        else:
            blocks.append(Block(starts[first], ends[last]))
    for line, done in enumerate(covered):
        if not done and not _MARKUP_LINE.fullmatch(src, starts[line], ends[line]):
            blocks.append(Block(starts[line], ends[line]))
    blocks.sort()
    return [Block(start + body_start, end + body_start, level) for start, end, level in blocks]
