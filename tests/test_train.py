"""`qa train`'s pieces that run without training: articles, held-out splits, candidates and labels, calibration."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qa.train import calibration, finetune
from qa.train.calibration import fit_calibration, summarize_held_out
from qa.train.candidates import Example, article_of, candidate_examples, split_articles


def test_squad_contexts_belong_to_their_article():
    assert article_of("0003-Steam-engine-012.txt") == "0003-Steam-engine"
    assert article_of("0004-1973-oil-crisis-000.txt") == "0004-1973-oil-crisis"
    assert article_of("metals/copper.md") == "metals/copper"


def test_held_out_articles_are_a_seeded_draw_of_whole_articles_whatever_their_order():
    articles = [f"{n:04d}-Article-{n}" for n in range(14)]
    train, held = split_articles(articles, 0.2)
    assert len(held) == 3 and not train & held and train | held == set(articles)
    assert split_articles(list(reversed(articles)), 0.2) == (train, held)
    assert split_articles(articles, 0.2, seed=1) != (train, held)


def test_candidates_are_the_assistants_own_sentences_labelled_by_the_gold_span(tiny_index):
    from qa.answer.assistant import Assistant
    from qa.evaluation.datasets import Question, Span
    from qa.retrieve.retriever import Retriever

    assistant = Assistant(Retriever(tiny_index), reader=None)
    text = tiny_index.documents["metals/cobalt.txt"].text
    start = text.index("four months")
    question = Question("q1", "For how long were cobalt exports suspended?", ("four months",), (),
                        (Span("metals/cobalt.txt", start, start + len("four months")),), "metals/cobalt.txt")
    unanswerable = Question("q2", "Who won the football match in Lisbon?", (), (), (), "weather.txt")
    examples = candidate_examples(assistant, [question, unanswerable], negatives=2)
    positives = [e for e in examples if e.label]
    assert len(positives) == 1 and positives[0].sentence.startswith("Cobalt exports from the DRC")
    assert positives[0].sentence[slice(*positives[0].span)] == "four months"
    assert all("four months" not in e.sentence for e in examples if not e.label)
    assert [e.label for e in examples if e.question.startswith("Who won")] == [0, 0]


def _rows(n: int, seed: int) -> list[dict]:
    rng = np.random.RandomState(seed)
    rows = []
    for _ in range(n):
        answerable = bool(rng.rand() < 0.5)
        logit = rng.normal(2.0 if answerable else -2.0, 1.5)
        rows.append({"signals": {"reader_logit": logit, "coverage": rng.rand()}, "answerable": answerable,
                     "label": int(answerable and rng.rand() < 0.9)})
    return rows


def test_calibration_keeps_the_base_rate_and_separates_what_the_model_separates():
    rows = _rows(600, 0)
    model = fit_calibration(rows, ("reader_logit", "coverage"), max_false_abstain=0.1)
    figures = summarize_held_out(_rows(600, 1), model)  # fresh rows from the same process
    assert figures["auc"] > 0.85 and figures["ece"] < 0.08
    assert figures["false_abstain"] <= 0.15 and figures["abstention_f1"] > 0.7
    assert model["weights"][0] > 0  # more log-odds from the model, more confidence
    json.dumps(model)  # it goes into answer.json


def test_the_threshold_respects_the_cap_on_false_abstains():
    rows = _rows(400, 2)
    strict = fit_calibration(rows, ("reader_logit",), max_false_abstain=0.0)
    loose = fit_calibration(rows, ("reader_logit",), max_false_abstain=0.3)
    assert summarize_held_out(rows, strict)["false_abstain"] == 0.0
    assert strict["threshold"] <= loose["threshold"]


def test_an_example_round_trips_through_the_checkpointed_examples_file():
    e = Example("a", "q?", "s.", "", "", 1, (0, 1))
    from dataclasses import asdict

    row = json.loads(json.dumps(asdict(e)))
    assert Example(**{**row, "span": tuple(row["span"])}) == e


def test_qa_train_help_lists_its_options(capsys):
    from qa.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for option in ("--skip-titles-of", "--held-out", "--epochs", "--layers", "--ship", "--out"):
        assert option in out


def _example(question: str, label: int):
    return Example("a", question, "s", "", "", label, (0, 1) if label else None)


def test_a_listwise_batch_holds_whole_questions_in_a_fixed_order():
    examples = [_example(q, int(k == 0)) for q in ("q1", "q2", "q3", "q4", "q5") for k in range(3)]
    order = finetune.batch_order(examples, epochs=2, batch_size=32, loss="listwise", seed=7)
    assert order == finetune.batch_order(examples, epochs=2, batch_size=32, loss="listwise", seed=7)
    for batch in order:
        questions = {examples[i].question for i in batch}
        assert sorted(batch) == sorted(i for i, e in enumerate(examples) if e.question in questions)
    assert sum(len(b) for b in order) == 2 * len(examples)


def test_the_listwise_loss_rewards_the_gold_sentence_and_none_for_an_unanswerable_question():
    import torch

    logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    labels = torch.tensor([1.0, 0.0, 0.0, 0.0])
    answerable = finetune.listwise_loss(logits, labels, [[0, 1]])
    assert math.isclose(answerable.item(), math.log(1 + math.exp(2) + math.exp(-1)) - 2, rel_tol=1e-5)
    unanswerable = finetune.listwise_loss(logits, labels, [[2, 3]])
    assert math.isclose(unanswerable.item(), math.log(1 + math.exp(0.5) + math.exp(-3)), rel_tol=1e-5)
    both = finetune.listwise_loss(logits, labels, [[0, 1], [2, 3]])
    assert math.isclose(both.item(), (answerable.item() + unanswerable.item()) / 2, rel_tol=1e-5)


def test_each_answer_type_with_enough_held_out_quotes_takes_the_span_source_that_scored_better():
    rows = ([{"kind": "count", "model_f1": 0.2, "typed_f1": 0.9}] * calibration.MIN_KIND_ROWS
            + [{"kind": "clause", "model_f1": 0.8, "typed_f1": 0.3}] * (5 * calibration.MIN_KIND_ROWS)
            + [{"kind": "year", "model_f1": 0.1, "typed_f1": 1.0}] * (calibration.MIN_KIND_ROWS - 1)
            + [{"kind": "name", "model_f1": None, "typed_f1": None}] * 50)
    assert calibration.choose_span_sources(rows) == {"default": "model", "count": "typed"}
    assert calibration.choose_span_sources([]) == {"default": "typed"}
