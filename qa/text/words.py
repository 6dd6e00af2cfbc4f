"""The closed-class English words a question is read by (the follow-up rewriter, the preamble split): question
words, auxiliaries, prepositions, pronouns and the like. General English, named for no document."""

WH = frozenset("what which who whom whose when where why how".split())
AUX = frozenset("is are was were be been being do does did has have had will would can could should shall may "
                 "might must".split())
PREPOSITIONS = frozenset("for in of on about with from to at during by into within among between over under "
                          "after before since than per".split())
DETERMINERS = frozenset("the a an its their his her this that these those some any each every all".split())
CONJUNCTIONS = frozenset("and or but nor so yet".split())
ENTITY_PRONOUNS = frozenset("it they them he she him her".split())
PERSON_PRONOUNS = frozenset("he she him her".split())
DEMONSTRATIVES = frozenset("this that these those".split())
REFERRING = ENTITY_PRONOUNS | DEMONSTRATIVES | frozenset("its their theirs his hers there then".split())
# words that ask about a referent without naming anything: "Why did that happen?", "What does it mean?"
GENERIC = frozenset("happen happened happens mean means meant say says said mention mentioned mentions "
                     "do done doing take took place cause caused exactly again more else".split())
# After "that"/"this", these words show a pronoun ("that happen"); a noun would show a determiner ("this speech").
AFTER_PRONOUN = AUX | GENERIC | PREPOSITIONS | CONJUNCTIONS | frozenset(
    "rise rose fall fell change changed start started begin began end ended affect affected matter".split())
# First words of a short message that is a request or a remark, not a fragment of a question.
NOT_FRAGMENT = frozenset("tell explain describe list give show summarize summarise define compare thanks thank "
                          "ok okay yes no hello hi please".split())
STOP = WH | AUX | PREPOSITIONS | DETERMINERS | CONJUNCTIONS | REFERRING | GENERIC | frozenset(
    "i you we me us not no there".split())
