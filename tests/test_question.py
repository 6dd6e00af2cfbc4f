"""Which part of a typed question the assistant reads: the last sentence only when it asks on its own."""
from __future__ import annotations

import pytest

from qa.answer.question import last_sentence


@pytest.mark.parametrize("typed, read", [
    ("I run a recycling firm and buy cobalt. On what date did the DRC announce the suspension?",
     "On what date did the DRC announce the suspension?"),
    ("Family trees of the Mongol khans confuse me. Who was Kaidu's grandfather?", "Who was Kaidu's grandfather?"),
    ("I'm writing about alliances in the 1750s. Why was Tanaghrisson supporting British efforts?",
     "Why was Tanaghrisson supporting British efforts?"),
    ("My family has Cajun roots. Although some went to France, what city did many move to?",
     "Although some went to France, what city did many move to?"),
    ("Who delivered this speech?", ""),  # one sentence: read as typed
    # the referent of a pronoun may be in the sentence before
    ("Is influenza vaccination during pregnancy safe? How long does it protect the child?", ""),
    ("How much coal did the UK produce in 2011. Write the answer in tonnes.", ""),  # the last one does not ask
    ("Where are the Rockefeller Museum and the L.A. Mayer Institute located?", ""),  # cut after an initial
    ("What was the decline of Ae. Aegyptus when the virus struck?", ""),
    ("I asked Dr. Who is the speaker?", ""),
])
def test_the_last_sentence_is_read_only_when_it_asks_on_its_own(typed, read):
    assert last_sentence(typed) == read
