"""The splitter's offset invariants, by property-based tests and by the cases that broke naive splitters."""
from __future__ import annotations

from hypothesis import given, strategies as st

from qa.ingest.corpus import parse_front_matter
from qa.records import Document
from qa.ingest.split import FRONT_MATTER_HEADING, SplitSettings, Splitter, sentence_spans
from qa.text.tokens import count_tokens


def make_doc(text: str, name: str = "doc.txt") -> Document:
    meta, body_start = parse_front_matter(text)
    return Document(name, text, body_start, meta)


def split(text: str, name: str = "doc.txt", settings: SplitSettings = SplitSettings(), model_count=None):
    doc = make_doc(text, name)
    sentences, passages = Splitter(settings, model_count).split(doc)
    check_invariants(doc, sentences, passages, settings, model_count)
    return sentences, passages


MARKUP = set("#=-*_>|:+")


def check_invariants(doc, sentences, passages, settings, model_count=None):
    text = doc.text
    for s in sentences:
        assert s.doc == doc.id
        assert text[s.start:s.end] == s.text and s.text and s.text == s.text.strip()
    for a, b in zip(sentences, sentences[1:]):
        assert a.end <= b.start, "sentences overlap or are out of order"
    for row, p in enumerate(passages):
        assert text[p.start:p.end] == p.text
        assert p.tokens == count_tokens(p.text) <= settings.max_tokens
        if model_count is not None:
            assert model_count(p.text) <= settings.model_max_tokens
        # a passage is a run of whole sentences: it starts and ends on sentence boundaries
        assert 0 <= p.first_sentence <= p.last_sentence < len(sentences)
        assert p.start == sentences[p.first_sentence].start and p.end == sentences[p.last_sentence].end
        for s in sentences:
            inside = p.start <= s.start and s.end <= p.end
            outside = s.end <= p.start or s.start >= p.end
            assert inside or outside, f"passage {row} cuts sentence {s.text!r}"
    for row, s in enumerate(sentences):
        owner = passages[s.passage]
        assert owner.first_sentence <= row <= owner.last_sentence
        assert owner.heading == s.heading
    # every visible character of the body is in some sentence; in Markdown only markup may be left out: heading
    # marks and setext underlines, thematic breaks, quote markers, table delimiter rows, empty list items
    covered = bytearray(len(text))
    for s in sentences:
        covered[s.start:s.end] = b"\1" * (s.end - s.start)
    left_out = {ch for i, ch in enumerate(text[doc.body_start:], doc.body_start) if not ch.isspace() and not covered[i]}
    assert left_out <= (MARKUP if doc.id.endswith(".md") else set()), f"characters in no sentence: {left_out}"


# ---------------------------------------------------------------- property-based

WORDS = ["copper", "mine", "Tibet", "price", "rose", "by", "12%", "3.5", "1,000", "yuan/mt", "café", "naïve",
         "Müller", "中文", "稀土", "😀", "e\u0301", "(MSP)", "“quoted”", "'single'", "—", "it's", "Dr.", "Mr.",
         "e.g.", "U.S.", "A.", "No.", "etc.", "vs.", "instability.From", "x.Y", "3.", "#tag", "C#", "a:b", "---"]
ENDS = [".", ".", "!", "?", "…", ".”", "?\"", "。", "！", ""]
SEPARATORS = [" ", " ", "  ", "\n", "\r\n", "\t", ""]
GAPS = ["\n\n", "\r\n\r\n", "\n \n", "\n\n\n", "\n\t\n"]

sentence = st.builds(lambda words, end: " ".join(words) + end,
                     st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), st.sampled_from(ENDS))
paragraph = st.builds(lambda parts, seps: "".join(p + s for p, s in zip(parts, seps)),
                      st.lists(sentence, min_size=1, max_size=8), st.lists(st.sampled_from(SEPARATORS), min_size=8,
                                                                            max_size=8))
heading = st.builds(lambda level, words: "#" * level + " " + " ".join(words),
                    st.integers(1, 4), st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
list_block = st.builds(lambda items: "\n".join("- " + i for i in items), st.lists(sentence, min_size=1, max_size=4))
# Markdown's other blocks; each is plain text in a .txt document
words = st.builds(" ".join, st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
closed_heading = st.builds(lambda head, hashes: f"{head} {'#' * hashes}", heading, st.integers(1, 3))
setext = st.builds(lambda title, mark, n: f"{title}\n{mark * n}", words, st.sampled_from("=-"), st.integers(1, 5))
heading_then_text = st.builds(lambda head, nl, text: head + nl + text, st.one_of(heading, closed_heading),
                              st.sampled_from(["\n", "\r\n"]), paragraph)
code = st.lists(st.one_of(sentence, heading), min_size=1, max_size=3)
fenced = st.builds(lambda lines: "```\n" + "\n".join(lines) + "\n```", code)
indented = st.builds(lambda lines: "\n".join("    " + line for line in lines), code)
ordered = st.builds(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1)),
                    st.lists(sentence, min_size=1, max_size=4))
table = st.builds(lambda rows: "\n".join(["| " + " | ".join(rows[0]) + " |", "|---|---|"]
                                         + ["| " + " | ".join(row) + " |" for row in rows[1:]]),
                  st.lists(st.tuples(sentence, sentence), min_size=1, max_size=4))
quote = st.builds(lambda lines: "\n".join("> " + line for line in lines), st.lists(sentence, min_size=1, max_size=3))
front = st.one_of(st.just(""), st.builds(lambda t: f"---\ntitle: {t}\ndate: 2025-06-16\n---\n", sentence))
budgets = st.builds(SplitSettings, max_tokens=st.integers(8, 96), overlap=st.integers(0, 3))


@st.composite
def documents(draw):
    blocks = draw(st.lists(st.one_of(paragraph, paragraph, heading, list_block, closed_heading, setext,
                                     heading_then_text, fenced, indented, ordered, table, quote),
                           min_size=1, max_size=10))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(blocks), max_size=len(blocks)))
    body = "".join(b + g for b, g in zip(blocks, gaps))
    return draw(front) + draw(st.sampled_from(["", "\n", " \n"])) + body


@given(documents(), budgets, st.sampled_from(["doc.md", "doc.txt"]))
def test_structured_documents_keep_every_invariant(text, settings, name):
    split(text, name, settings)


@given(st.text(max_size=600), budgets, st.sampled_from(["doc.md", "doc.txt"]))
def test_arbitrary_text_keeps_every_invariant(text, settings, name):
    split(text, name, settings)


@given(documents(), st.integers(8, 40))
def test_passages_fit_the_model_limit_too(text, model_max):
    def model_count(piece: str) -> int:  # a stand-in tokenizer: words plus [CLS] and [SEP]
        return len(piece.split()) + 2

    split(text, "doc.md", SplitSettings(max_tokens=96, overlap=1, model_max_tokens=model_max), model_count)


# ---------------------------------------------------------------- cases

def texts(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, 0, len(text))]


def test_abbreviations_and_initials_do_not_end_sentences():
    assert texts("Dr. Smith met Mr. A. B. Jones at No. 5 Main St. on Monday. They spoke, e.g. about copper. "
                 "Prices rose 3.5% in 2024.") == [
        "Dr. Smith met Mr. A. B. Jones at No. 5 Main St. on Monday.", "They spoke, e.g. about copper.",
        "Prices rose 3.5% in 2024."]


def test_a_period_glued_to_the_next_sentence_still_splits():
    text = "the supply chain is facing the risk of instability.From an external perspective, the US acts."
    assert texts(text) == ["the supply chain is facing the risk of instability.",
                           "From an external perspective, the US acts."]


def test_decimals_and_urls_do_not_split():
    assert texts("It cost 3.5 yuan. See example.com today.") == ["It cost 3.5 yuan.", "See example.com today."]


def test_other_terminators_and_closing_quotes():
    assert texts('He asked "Why?" Then he left! Did it work? 中文句子。下一句。') == [
        'He asked "Why?"', "Then he left!", "Did it work?", "中文句子。", "下一句。"]


def test_repeated_phrases_map_to_their_own_occurrence():
    text = "The price rose. The price rose.\n\nThe price rose. Then it fell.\n"
    sentences, _ = split(text)
    assert [(s.start, s.text) for s in sentences] == [(0, "The price rose."), (16, "The price rose."),
                                                      (33, "The price rose."), (49, "Then it fell.")]


def test_crlf_text_keeps_exact_offsets():
    text = "First line here.\r\nSecond sentence.\r\n\r\nNew paragraph.\r\n"
    sentences, passages = split(text, settings=SplitSettings(max_tokens=8, overlap=0))
    assert [s.text for s in sentences] == ["First line here.", "Second sentence.", "New paragraph."]
    assert all("\r" not in p.text[-1:] for p in passages)


def test_markdown_headings_are_recorded_on_passages_and_sentences():
    text = "# Report\n\nIntro sentence.\n\n## Copper\n\nCopper rose.\n\n### Tibet\n\nYulong grew.\n\n## Cobalt\n\nCobalt fell.\n"
    sentences, passages = split(text, "r.md")
    by_text = {s.text: s.heading for s in sentences}
    assert by_text["Intro sentence."] == "Report"
    assert by_text["Copper rose."] == "Report › Copper"
    assert by_text["Yulong grew."] == "Report › Copper › Tibet"
    assert by_text["Cobalt fell."] == "Report › Cobalt"  # a new level-2 heading closes the level-3 one
    assert {p.heading for p in passages} == {"Report", "Report › Copper", "Report › Copper › Tibet", "Report › Cobalt"}
    assert "Copper" in by_text  # the heading's own words are searchable, without its # marks


def test_headings_only_count_in_markdown():
    sentences, _ = split("# Not a heading in a text file.\n\nBody.\n", "notes.txt")
    assert sentences[0].text == "# Not a heading in a text file." and sentences[0].heading == ""


def test_front_matter_becomes_metadata_and_citable_lines():
    text = '---\ntitle: "A Speech"\nspeaker: Ge Honglin\ndate: 2025-06-16\n---\n\nThe body starts here.\n'
    doc = make_doc(text, "s.md")
    assert doc.meta == {"title": "A Speech", "speaker": "Ge Honglin", "date": "2025-06-16"}
    assert text[doc.body_start:].lstrip().startswith("The body")
    sentences, passages = split(text, "s.md")
    front = [s for s in sentences if s.heading == FRONT_MATTER_HEADING]
    assert [s.text for s in front] == ['title: "A Speech"', "speaker: Ge Honglin", "date: 2025-06-16"]
    assert sentences[-1].text == "The body starts here." and sentences[-1].heading == ""
    assert passages[0].heading == FRONT_MATTER_HEADING


def test_overlap_repeats_sentences_between_passages():
    text = " ".join(f"Sentence number {n} is here." for n in range(12))
    _, passages = split(text, settings=SplitSettings(max_tokens=20, overlap=1))
    assert len(passages) > 2
    for a, b in zip(passages, passages[1:]):
        assert b.first_sentence == a.last_sentence  # exactly one sentence shared
    _, passages = split(text, settings=SplitSettings(max_tokens=20, overlap=0))
    for a, b in zip(passages, passages[1:]):
        assert b.first_sentence == a.last_sentence + 1


def test_an_over_long_sentence_is_cut_at_white_space_within_budget():
    text = "word " * 400 + "end."
    sentences, passages = split(text, settings=SplitSettings(max_tokens=32))
    assert len(sentences) > 1 and all(count_tokens(s.text) <= 32 for s in sentences)
    assert all(s.text.startswith("word") or s.text == "end." for s in sentences)  # never inside a word
    unbroken = "x" * 2000  # no white space at all: cut by characters, still exact
    split(unbroken, settings=SplitSettings(max_tokens=16))


def test_the_speech_splits_exactly():
    from conftest import SPEECH_CORPUS, SPEECH_DOC
    from qa.ingest.corpus import read_document

    doc = read_document(SPEECH_CORPUS / SPEECH_DOC, SPEECH_CORPUS)
    settings = SplitSettings()
    sentences, passages = Splitter(settings).split(doc)
    check_invariants(doc, sentences, passages, settings)
    assert any(s.text.startswith("From an external perspective") for s in sentences)
    assert doc.meta["speaker"].startswith("Ge Honglin")
