"""qa train's pieces without training: windows and labels from SQuAD, the fixed schedule, the calibration fit."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from qa.errors import QAError
from qa.train.windows import held_out_titles, read_squad, training_samples

CONTEXT = ("The Normans were descended from Norse raiders. They settled in Normandy in the 10th century. "
           "Rollo was their first ruler. The duchy was later ruled by William, who conquered England in 1066. "
           "Norman architecture used rounded arches. Many castles were built in stone.")
OTHER = "Cobalt is mined in the Congo. Copper is smelted in Chile. Prices rose in May."


@pytest.fixture()
def squad(tmp_path):
    def qa(i, question, answer=None):
        if answer is None:
            return {"id": f"q{i}", "question": question, "answers": [], "is_impossible": True}
        return {"id": f"q{i}", "question": question,
                "answers": [{"text": answer, "answer_start": CONTEXT.index(answer)}]}
    data = {"data": [
        {"title": "Normans", "paragraphs": [
            {"context": CONTEXT, "qas": [qa(1, "Who was the first Norman ruler?", "Rollo"),
                                         qa(2, "When did William conquer England?", "1066"),
                                         qa(3, "What did Normans build from wood?")]},
            {"context": OTHER, "qas": []}]},
        {"title": "Other", "paragraphs": [{"context": OTHER, "qas": []}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tokenizer():
    from qa.train.finetune import base_model
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_model() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def test_a_squad_file_reads_into_articles_with_exact_answer_offsets(squad):
    articles = read_squad(squad)
    assert [a.title for a in articles] == ["Normans", "Other"]
    q = articles[0].paragraphs[0].questions
    assert [CONTEXT[s:e] for s, e in (q[0].answers[0], q[1].answers[0])] == ["Rollo", "1066"]
    assert q[2].answers == ()


def test_held_out_articles_are_a_seeded_draw_of_whole_articles_whatever_their_order(squad):
    articles = read_squad(squad) * 1
    a = held_out_titles(articles, 0.5)
    assert a == held_out_titles(list(reversed(articles)), 0.5) and len(a) == 1
    assert held_out_titles(articles, 0) == set()


def test_every_positive_window_holds_its_answer_and_no_negative_does(squad, tokenizer):
    samples = training_samples(read_squad(squad)[:1] * 30, tokenizer, 24)
    assert samples == training_samples(read_squad(squad)[:1] * 30, tokenizer, 24)  # deterministic
    positives = [s for s in samples if s.answer is not None]
    negatives = [s for s in samples if s.answer is None]
    assert positives and negatives
    for s in positives:
        assert s.window.start <= s.answer[0] < s.answer[1] <= s.window.end
        assert s.text[s.answer[0]:s.answer[1]] in ("Rollo", "1066")
    for s in negatives:
        window = s.text[s.window.start:s.window.end]
        if s.question.startswith("Who"):
            assert "Rollo" not in window
        if s.question.startswith("When"):
            assert "1066" not in window
    # the unanswerable question is read against its own paragraph, as retrieval would hand it over
    assert any(s.question.startswith("What did") and s.text == CONTEXT for s in negatives)


def test_the_gold_tokens_cover_exactly_the_answer(squad, tokenizer):
    from qa.train.batches import encode_samples, tensors

    samples = [s for s in training_samples(read_squad(squad)[:1], tokenizer, 100) if s.answer]
    arrays = encode_samples(samples, tokenizer, 128, 24)
    ids, mask, types, allowed, starts, ends = tensors(arrays, list(range(len(samples))))
    for row, s in enumerate(samples):
        piece = tokenizer.decode(ids[row, starts[row]:ends[row] + 1].tolist())
        assert piece == s.text[s.answer[0]:s.answer[1]].lower()
        assert allowed[row, 0] and allowed[row, starts[row]] and not allowed[row, 1]
        n = int(mask[row].sum())
        assert ids[row, n - 1] == tokenizer.token_to_id("[SEP]") and types[row, n - 1] == 1 and types[row, 1] == 0


def test_answer_sentences_train_as_whole_sentences_and_mark_their_rows(squad, tokenizer):
    from qa.train.batches import encode_samples, tensors, whole_rows
    from qa.train.windows import sentence_samples

    sentence = "Rollo was their first ruler."
    data = {"data": [{"title": "Normans", "paragraphs": [{"context": CONTEXT, "qas": [
        {"id": "s1", "question": "Who led the Normans first?",
         "answers": [{"text": sentence, "answer_start": CONTEXT.index(sentence)}]}]}]}]}
    path = squad.with_name("sentences.json")
    path.write_text(json.dumps(data), encoding="utf-8")
    samples = sentence_samples(read_squad(path) * 8, tokenizer, 40)
    assert samples == sentence_samples(read_squad(path) * 8, tokenizer, 40)  # deterministic
    positives = [s for s in samples if s.answer is not None]
    assert positives and all(s.whole and s.text[s.answer[0]:s.answer[1]] == sentence for s in positives)
    assert all(sentence not in s.text[s.window.start:s.window.end] for s in samples if s.answer is None)
    plain = [s for s in training_samples(read_squad(squad)[:1], tokenizer, 100) if s.answer]
    arrays = encode_samples(plain + positives[:1], tokenizer, 128, 24)
    ids, _, _, _, starts, ends = tensors(arrays, list(range(len(plain) + 1)))
    assert whole_rows(arrays, list(range(len(plain) + 1))).tolist() == [False] * len(plain) + [True]
    assert tokenizer.decode(ids[-1, starts[-1]:ends[-1] + 1].tolist()) == "rollo was their first ruler."
    assert "whole" not in encode_samples(plain, tokenizer, 128, 24)  # a run without sentences keeps its windows


def test_the_sentence_loss_is_cross_entropy_on_spans_and_the_sentences_mass_on_whole_rows():
    import torch

    from qa.train.finetune import sentence_span_loss

    start, end = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]])).unbind(0)
    logits = torch.stack([start, end])
    starts, ends = torch.tensor([1, 1]), torch.tensor([2, 3])
    loss = sentence_span_loss(logits, logits, starts, ends, torch.tensor([False, True]))
    # row 0: -log 0.2 (start 1) and -log 0.3 (end 2); row 1: -log(0.2 + 0.3 + 0.4) for both
    expected = ((-np.log(0.2) - np.log(0.9)) / 2 + (-np.log(0.3) - np.log(0.9)) / 2) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    ce = torch.nn.functional.cross_entropy
    plain = sentence_span_loss(logits, logits, starts, ends, torch.tensor([False, False]))
    assert plain.item() == pytest.approx(((ce(logits, starts) + ce(logits, ends)) / 2).item(), rel=1e-5)
    ignored = sentence_span_loss(logits, logits, torch.tensor([-100, 1]), torch.tensor([-100, 3]),
                                 torch.tensor([False, True]))
    assert ignored.item() == pytest.approx(-np.log(0.9), rel=1e-5)


def test_the_schedule_is_fixed_covers_every_sample_once_an_epoch_and_pads_little():
    from qa.train.finetune import batch_order

    lengths = [random.Random(n).randrange(20, 128) for n in range(1000)]
    order = batch_order(lengths, 2, 8, seed=7)
    assert order == batch_order(lengths, 2, 8, seed=7)
    half = len(order) // 2
    assert sorted(i for b in order[:half] for i in b) == list(range(1000))
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in order])
    assert spread < 20  # batches of like lengths (random batches would spread about 80)


def test_the_calibration_keeps_the_base_rate_and_ranks_by_the_margin():
    from qa.train.calibration import fit_calibration

    rng = np.random.RandomState(0)
    rows = []
    for n in range(600):
        right = n % 3 != 0
        rows.append({"signals": {"margin": rng.normal(3 if right else 0, 1.5), "probability": rng.uniform()},
                     "answerable": right or n % 2 == 0, "right": right, "f1": 1.0 if right else None})
    calibration, figures = fit_calibration(rows, ("margin", "probability"))
    assert calibration["weights"][0] > 0
    assert figures["auc"] > 0.8 and figures["ece"] < 0.1
    assert figures["false_abstain"] <= 0.05


def test_qa_train_help_lists_its_options(capsys):
    from qa.train.command import cli_train

    with pytest.raises(SystemExit):
        cli_train(["--help"])
    out = capsys.readouterr().out
    for option in ("--calibrate-on", "--skip-titles-of", "--limit", "--epochs", "--layers", "--resume", "--fresh",
                   "--ship", "--seed"):
        assert option in out


def test_a_missing_training_file_is_one_clear_error(tmp_path, capsys):
    from qa.train.command import cli_train

    assert cli_train([str(tmp_path / "none.json"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read SQuAD file" in capsys.readouterr().err


@pytest.fixture()
def encoded(squad, tokenizer):
    from qa.train.batches import encode_samples

    samples = training_samples(read_squad(squad)[:1], tokenizer, 40)[:4]
    return encode_samples(samples, tokenizer, 64, 24)


def test_a_run_stopped_mid_way_resumes_from_its_checkpoint_to_the_same_weights(encoded, tmp_path, monkeypatch):
    """Two tiny batches of a one-layer reader: no real training happens here, only the checkpoint's round trip."""
    import torch

    from qa.train import finetune

    plan = finetune.plan_of(encoded, 1, 2, 1e-4, 1)
    monkeypatch.setattr(finetune, "CHECKPOINT_SECONDS", 0)  # a checkpoint after every batch
    whole = finetune.fine_tune(encoded, tmp_path / "a", plan, threads=1)

    real, calls = finetune.tensors, []

    def stop_in_the_second_batch(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(finetune, "tensors", stop_in_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        finetune.fine_tune(encoded, tmp_path / "b", plan, threads=1)
    assert torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)["step"] == 1
    monkeypatch.setattr(finetune, "tensors", real)
    resumed = finetune.fine_tune(encoded, tmp_path / "b", plan, threads=1)
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_weights_trained_from_a_packed_folder_are_picked_up_only_by_their_own_plan(encoded, tmp_path):
    """The GPU path on the CPU: pack, train with `python -m qa.train.finetune DIR`, hand weights.pt back."""
    import shutil

    import torch

    from qa.train import finetune
    from qa.train.gpu import pack

    plan = finetune.plan_of(encoded, 1, 2, 1e-4, 1)
    pack(tmp_path / "gpu", encoded, plan, finetune.base_model())
    base = np.load(tmp_path / "gpu" / "base.npz")
    assert base["embeddings.word_embeddings.weight"].dtype == np.float16
    assert not base["embeddings.word_embeddings.weight"][30000].any()  # a row no window uses travels as zeros
    assert finetune.main([str(tmp_path / "gpu"), "--device", "cpu", "--threads", "1",
                          "--half-copy", str(tmp_path / "half.pt")]) == 0
    trained = torch.load(tmp_path / "gpu" / "weights.pt", weights_only=False)
    assert finetune.FROZEN not in trained["weights"] and trained["plan"] == plan
    (tmp_path / "out").mkdir()
    shutil.copyfile(tmp_path / "half.pt", tmp_path / "out" / "weights.pt")
    model = finetune.fine_tune(encoded, tmp_path / "out", plan, threads=1)
    assert not (tmp_path / "out" / "checkpoint.pt").exists()  # loaded, not trained again
    state = model.state_dict()
    for name, value in trained["weights"].items():
        assert torch.allclose(state[name], value, atol=1e-2), name
    bundled = finetune.reader_model(finetune.base_model(), 1).state_dict()[finetune.FROZEN]
    assert torch.equal(state[finetune.FROZEN], bundled)  # the bundled float32 table, not the carried copy
    other = dict(plan, lr=2e-4)
    finetune.fine_tune(encoded, tmp_path / "out", other, threads=1)
    assert (tmp_path / "out" / "checkpoint.pt").exists()  # another plan trains


def test_weights_larger_than_a_lease_returns_come_back_in_parts_that_qa_train_joins(encoded, tmp_path, monkeypatch):
    import torch

    from qa.train import finetune, parts
    from qa.train.gpu import pack

    plan = finetune.plan_of(encoded, 1, 2, 1e-4, 1)
    pack(tmp_path / "gpu", encoded, plan, finetune.base_model())
    monkeypatch.setattr(parts, "PART_BYTES", 2**21)  # the one-layer reader's 4 MB of weights: several parts
    assert finetune.main([str(tmp_path / "gpu"), "--device", "cpu", "--threads", "1",
                          "--half-copy", str(tmp_path / "back" / "weights.pt")]) == 0
    written = sorted((tmp_path / "back").iterdir())
    assert len(written) >= 2 and not (tmp_path / "back" / "weights.pt").exists()
    assert all(p.stat().st_size <= 2**21 + 2**16 for p in written)  # each within its bound (and torch's framing)
    trained = torch.load(tmp_path / "gpu" / "weights.pt", weights_only=False)["weights"]
    model = finetune.fine_tune(encoded, tmp_path / "back", plan, threads=1)  # joins them, then takes them
    assert not (tmp_path / "back" / "checkpoint.pt").exists()  # loaded, not trained again
    state = model.state_dict()
    assert all(torch.allclose(state[k], v, atol=1e-2) for k, v in trained.items())
    (tmp_path / "back" / "weights.pt").unlink()
    written[1].unlink()  # a part missing: one clear error, nothing trained on a partial model
    with pytest.raises(QAError, match="not all the parts"):
        finetune.fine_tune(encoded, tmp_path / "back", plan, threads=1)


def test_another_seed_of_a_packed_folder_trains_apart_and_is_picked_up_by_its_own_plan(encoded, tmp_path):
    """Several seeds of one recipe from one pack (a GPU lease carries one): each into its own folder."""
    import torch

    from qa.train import finetune
    from qa.train.command import DEFAULTS
    from qa.train.gpu import pack

    plan = finetune.plan_of(encoded, 1, 2, 1e-4, 1)
    assert plan["seed"] == DEFAULTS["seed"]
    pack(tmp_path / "gpu", encoded, plan, finetune.base_model())
    assert finetune.main([str(tmp_path / "gpu"), "--device", "cpu", "--threads", "1", "--seed", "7",
                          "--out", str(tmp_path / "seed-7")]) == 0
    assert not (tmp_path / "gpu" / "weights.pt").exists()  # the pack stays as packed
    trained = torch.load(tmp_path / "seed-7" / "weights.pt", weights_only=False)
    assert trained["plan"] == dict(plan, seed=7)
    finetune.fine_tune(encoded, tmp_path / "seed-7", plan, threads=1)  # the plan's own seed: another run
    assert torch.load(tmp_path / "seed-7" / "weights.pt", weights_only=False)["plan"] == plan  # trained, not taken
    assert finetune.main([str(tmp_path / "gpu"), "--device", "cpu", "--threads", "1", "--seed", "7",
                          "--out", str(tmp_path / "again")]) == 0
    again = torch.load(tmp_path / "again" / "weights.pt", weights_only=False)["weights"]
    for name, value in trained["weights"].items():  # the same seed gives the same weights
        assert torch.allclose(again[name], value, atol=1e-5), name


def test_training_only_the_top_layer_leaves_the_embeddings_and_the_layer_below_as_they_started(encoded, tmp_path):
    import torch

    from qa.train import finetune

    plan = finetune.plan_of(encoded, 1, 2, 1e-3, 2, train_top=1)
    assert plan["train_top"] == 1 and "train_top" not in finetune.plan_of(encoded, 1, 2, 1e-3, 2)
    before = finetune.reader_model(finetune.base_model(), 2).state_dict()
    after = finetune.fine_tune(encoded, tmp_path / "top", plan, threads=1).state_dict()
    kept = [k for k in before if k.startswith(("bert.embeddings.", "bert.encoder.layer.0."))]
    moved = [k for k in before if k.startswith("bert.encoder.layer.1.") and k.endswith("weight")]
    assert kept and moved
    assert all(torch.equal(before[k], after[k]) for k in kept)
    assert all(not torch.equal(before[k], after[k]) for k in moved)


def test_train_top_takes_at_most_the_layers_kept(tmp_path, capsys):
    from qa.train.command import cli_train

    assert cli_train([str(tmp_path / "none.json"), "--train-top", "7", "--out", str(tmp_path / "o")]) == 2
    assert "--train-top takes 0 to 6 layers" in capsys.readouterr().err


def test_the_command_that_reproduces_a_run_names_a_seed_other_than_the_default():
    import argparse

    from qa.train.command import DEFAULTS, argv_of

    args = argparse.Namespace(questions=["a.json"], skip_titles_of=[], calibrate_on=[], sentences=[], out="o",
                              **DEFAULTS)
    assert "--seed" not in argv_of(args)
    args.seed = 7
    assert argv_of(args)[-4:] == ["--seed", "7", "--out", "o"]


def test_an_edited_question_swaps_an_anchor_of_its_window_for_a_same_kind_phrase_the_window_lacks():
    from qa.train.edits import article_phrases, edited

    window = "Rollo was their first ruler. The duchy was later ruled by William, who conquered England in 1066."
    names, figures = article_phrases([CONTEXT, "Harold ruled Wessex. Scotland was not conquered until 1296."])
    seen = set()
    for seed in range(40):
        twin = edited("When did William conquer England?", window, names, figures, random.Random(seed))
        assert twin != "When did William conquer England?"
        swapped = twin.replace("When did ", "").replace(" conquer ", "|").rstrip("?").split("|")
        assert len(swapped) == 2 and sum(a != b for a, b in zip(swapped, ["William", "England"])) == 1
        new = next(a for a, b in zip(swapped, ["William", "England"]) if a != b)
        assert new in names and new not in window
        seen.add(new)
    assert len(seen) > 1  # drawn, not always the same
    # a year for a year, a word for its opposite when the window lacks the opposite
    year = edited("Who ruled in 1066?", window, [], ["1066", "10th", "1296"], random.Random(0))
    assert year == "Who ruled in 1296?"
    assert edited("Who was the first ruler?", window, [], [], random.Random(0)) == "Who was the last ruler?"
    # nothing of the question in the window: no safe edit (it may already be unanswerable, or answerable)
    assert edited("What did Normans build?", "Castles were built in stone.", names, figures, random.Random(0)) is None
    # an article's sentence-opening word is no name
    assert "Castles" not in article_phrases(["Castles were built in stone."])[0]


def test_edited_twins_are_unanswerable_samples_on_the_question_s_own_window(squad, tokenizer):
    articles = read_squad(squad)[:1] * 5
    plain = training_samples(articles, tokenizer, 24)
    twins = training_samples(articles, tokenizer, 24, edits=1.0)
    assert twins == training_samples(articles, tokenizer, 24, edits=1.0)  # deterministic
    asked = {s.question for s in plain}
    new = [s for s in twins if s.question not in asked]
    assert new and all(s.answer is None and s.text == CONTEXT for s in new)
    # edits=0 leaves the first stage's samples exactly as they were
    assert sorted(map(repr, plain)) == sorted(map(repr, [s for s in twins if s.question in asked]))


def test_a_second_stage_starts_from_the_shipped_int8_reader_with_its_own_scores(tmp_path):
    import onnxruntime as ort
    import torch

    from qa.answer.reader import MODEL_DIR
    from qa.train.finetune import FROZEN, base_model, reader_model
    from qa.train.start import start_weights

    weights = start_weights(MODEL_DIR / "reader.onnx")
    model = reader_model(base_model())
    state = model.state_dict()
    assert set(weights) <= set(state) and all(state[k].shape == weights[k].shape for k in weights)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items() if k != FROZEN}, strict=False)
    ids = torch.tensor([[101, 2040, 2001, 1996, 2034, 3627, 102, 11575, 2001, 2037, 2034, 3627, 1012, 102]])
    types = torch.tensor([[0] * 7 + [1] * 7])
    with torch.no_grad():
        start, _ = model.eval()(ids, torch.ones_like(ids), types)
    feeds = {"input_ids": ids.numpy(), "attention_mask": np.ones_like(ids.numpy()), "token_type_ids": types.numpy()}
    onnx_start = ort.InferenceSession(str(MODEL_DIR / "reader.onnx")).run(None, feeds)[0]
    # the same best start token; logits equal up to the int8 reader's rounding of its activations
    assert int(start.argmax()) == int(onnx_start.argmax())
    assert np.abs(start.numpy() - onnx_start).max() < 1.0
    with pytest.raises(Exception, match="no such file"):
        start_weights(tmp_path / "none.onnx")


def test_interpolation_blends_every_trained_weight_toward_the_start_but_the_frozen_table(monkeypatch):
    import torch

    from qa.train import finetune
    from qa.train.start import interpolate

    monkeypatch.setattr(finetune, "FROZEN", "frozen")  # the word table's role, on a two-parameter module
    model = torch.nn.Module()
    model.register_parameter("w", torch.nn.Parameter(torch.tensor([1.0, 3.0])))
    model.register_parameter("frozen", torch.nn.Parameter(torch.tensor([5.0])))
    interpolate(model, {"w": np.array([-1.0, 1.0], dtype=np.float32), "frozen": np.array([0.0], dtype=np.float32)},
                0.25)
    assert model.get_parameter("w").tolist() == [-0.5, 1.5]  # 0.75 * start + 0.25 * trained
    assert model.get_parameter("frozen").tolist() == [5.0]


def test_interpolation_needs_a_start_and_a_share_inside_0_1(tmp_path, capsys):
    from qa.train.command import cli_train

    squad = tmp_path / "s.json"
    squad.write_text(json.dumps({"version": "1.1", "data": []}), encoding="utf-8")
    assert cli_train([str(squad), "--interpolate", "0.5", "--out", str(tmp_path / "o")]) == 2
    assert "--interpolate" in capsys.readouterr().err


def test_a_blend_needs_a_share_and_a_reader_that_is_there(tmp_path, capsys):
    from qa.train.command import cli_train

    squad = tmp_path / "s.json"
    squad.write_text(json.dumps({"version": "1.1", "data": []}), encoding="utf-8")
    out = tmp_path / "o"
    assert cli_train([str(squad), "--blend-with", str(squad), "--out", str(out)]) == 2
    assert "--blend-with needs --interpolate" in capsys.readouterr().err
    missing = tmp_path / "gone.onnx"
    assert cli_train([str(squad), "--blend-with", str(missing), "--interpolate", "0.5", "--out", str(out)]) == 2
    assert f"no such file: {missing}" in capsys.readouterr().err
    assert not (out / "windows.npz").exists()  # it failed before building anything
