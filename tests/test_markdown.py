"""Markdown documents split by their parsed block structure: headings of every form, code, lists, tables, CRLF."""
from __future__ import annotations

from hypothesis import given, strategies as st

from qa.ingest.markdown import markdown_blocks
from test_split import budgets, documents, split


def by_text(text: str, name: str = "doc.md") -> dict[str, str]:
    """Each sentence's text and its heading path."""
    sentences, _ = split(text, name)
    return {s.text: s.heading for s in sentences}


def test_atx_headings_open_and_closed_give_their_words_only():
    text = "# Report\n\nIntro.\n\n## Costs ##\n\nPrices rose.\n\n### Tibet ###   \n\nYulong grew.\n"
    assert by_text(text) == {"Report": "Report", "Intro.": "Report", "Costs": "Report › Costs",
                             "Prices rose.": "Report › Costs", "Tibet": "Report › Costs › Tibet",
                             "Yulong grew.": "Report › Costs › Tibet"}


def test_setext_headings_with_equals_and_dashes():
    text = "Report\n======\n\nIntro.\n\nCosts\n-----\n\nPrices rose.\n"
    assert by_text(text) == {"Report": "Report", "Intro.": "Report", "Costs": "Report › Costs",
                             "Prices rose.": "Report › Costs"}


def test_a_heading_directly_followed_by_text():
    text = "# Report\n\nIntro.\n\n## Costs\nPrices rose. Margins fell.\n"
    found = by_text(text)
    assert found["Costs"] == found["Prices rose."] == found["Margins fell."] == "Report › Costs"


def test_nested_heading_path_closes_deeper_levels():
    text = "# A\n\none.\n\n## B\n\ntwo.\n\n### C\n\nthree.\n\n## D\n\nfour.\n\n# E\n\nfive.\n"
    found = by_text(text)
    paths = [found[t] for t in ("one.", "two.", "three.", "four.", "five.")]
    assert paths == ["A", "A › B", "A › B › C", "A › D", "E"]


def test_a_hash_line_in_fenced_or_indented_code_is_text_not_a_heading():
    text = "# Guide\n\n```sh\n# install it\npip install qa\n```\n\nThen:\n\n    # also code\n    qa index\n\nDone.\n"
    sentences, _ = split(text, "doc.md")
    assert {s.heading for s in sentences} == {"Guide"}
    code = [s.text for s in sentences if "# install it" in s.text or "# also code" in s.text]
    assert len(code) == 2  # both code blocks are searchable, citable text
    assert any("pip install qa" in s for s in code) and any("qa index" in s for s in code)


def test_each_list_item_is_its_own_block():
    text = "# L\n\n- copper rose\n- cobalt fell\n  on news\n1. first point\n2. second point\n"
    sentences, _ = split(text, "doc.md")
    assert [s.text for s in sentences] == ["L", "- copper rose", "- cobalt fell\n  on news", "1. first point",
                                           "2. second point"]


def test_table_rows_are_kept_as_text_one_block_each():
    text = "| metal | change |\n|---|:---:|\n| copper | rose |\n| cobalt | fell |\n"
    sentences, _ = split(text, "doc.md")
    assert [s.text for s in sentences] == ["| metal | change |", "| copper | rose |", "| cobalt | fell |"]


def test_a_quoted_heading_is_text_of_the_quote():
    text = "# Top\n\n> ## Quoted\n> Said here.\n"
    assert by_text(text) == {"Top": "Top", "> ## Quoted": "Top", "> Said here.": "Top"}


def test_crlf_markdown_keeps_exact_offsets():
    text = "# Report\r\n\r\n## Costs ##\r\nPrices rose.\r\n\r\nTitle\r\n=====\r\n- item one\r\n- item two\r\n"
    sentences, _ = split(text, "doc.md")
    assert [(text[s.start:s.end], s.heading) for s in sentences] == [
        ("Report", "Report › Costs"), ("Costs", "Report › Costs"), ("Prices rose.", "Report › Costs"),
        ("Title", "Title"), ("- item one", "Title"), ("- item two", "Title")]


def test_front_matter_stays_outside_the_markdown_body():
    text = "---\ntitle: T\n---\n# Body\nText here.\n"
    sentences, _ = split(text, "doc.md")
    assert [(s.text, s.heading) for s in sentences] == [("title: T", "front matter"), ("Body", "Body"),
                                                        ("Text here.", "Body")]


def test_a_text_file_is_not_parsed_as_markdown():
    text = "## Costs\nPrices rose.\n\nTitle\n=====\n"
    assert by_text(text, "notes.txt") == {"## Costs\nPrices rose.": "", "Title\n=====": ""}


def test_link_definitions_and_rules_lines():
    text = "Intro.\n\n---\n\n[speech]: https://example.com/speech\n"
    assert list(by_text(text)) == ["Intro.", "[speech]: https://example.com/speech"]  # the rule is markup only


# words that cannot open another block ("3." a list, "---" a rule) on a setext heading's line
TITLE_WORDS = ["copper", "Tibet", "12%", "中文", "C#", "#tag", "e.g.", "(MSP)"]
title = st.builds(" ".join, st.lists(st.sampled_from(TITLE_WORDS), min_size=1, max_size=6))
# (source, title) pairs
atx = st.builds(lambda level, words, close: ("#" * level + " " + words + close, words),
                st.integers(1, 6), title, st.sampled_from(["", " #", " ###", "  "]))
setext = st.builds(lambda words, mark: (f"{words}\n{mark}", words), title, st.sampled_from(["=", "---", "=====  "]))


@given(st.lists(st.tuples(st.one_of(atx, setext), st.sampled_from(["\n", "\r\n", "\n\n", "\r\n\r\n"])),
                min_size=1, max_size=6))
def test_every_heading_block_is_exactly_its_words(parts):
    text = "".join(source + gap for (source, _), gap in parts)
    assert [text[b.start:b.end] for b in markdown_blocks(text) if b.level] == [words for (_, words), _ in parts]


@given(documents(), budgets)
def test_generated_markdown_keeps_exact_offsets(text, settings):
    split(text, "doc.md", settings)  # checks source[start:end] == text for every sentence and passage
