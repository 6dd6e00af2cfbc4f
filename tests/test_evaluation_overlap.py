"""The quote-overlap measure (COVID-QA's target): the cited range overlaps a gold answer span, or it does not."""
from qa.evaluation.datasets import Question, Span
from qa.evaluation.metrics import aggregate, score_answer

SOURCE = {"paper.txt": "Masks reduce spread. The virus binds ACE2 receptors in the lung. Trials continue."}


def _answer(start: int, end: int, answerable: bool = True) -> dict:
    text = SOURCE["paper.txt"][start:end]
    return {"answerable": answerable, "answer": text if answerable else "", "quote": text if answerable else "",
            "answer_span": None,
            "citations": [{"doc": "paper.txt", "start": start, "end": end, "text": text}] if answerable else []}


def test_quote_overlap_counts_any_shared_character():
    gold = Question("q1", "What does the virus bind?", ("ACE2 receptors",), answer_spans=(Span("paper.txt", 37, 51),))
    inside = score_answer(gold, _answer(21, 64), SOURCE)  # the whole sentence around the gold span
    elsewhere = score_answer(gold, _answer(0, 20), SOURCE)
    abstained = score_answer(gold, _answer(0, 0, answerable=False), SOURCE)
    assert (inside["quote_overlap"], elsewhere["quote_overlap"], abstained["quote_overlap"]) == (1.0, 0.0, 0.0)
    rows = [dict(r, answerable=True) for r in (inside, elsewhere, abstained)]
    assert aggregate(rows)["quote_overlap"] == round(1 / 3, 4)
