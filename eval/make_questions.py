"""Build eval/questions.jsonl for the Ge Honglin 2025 mining speech.

Questions are held below as Python data. Evidence is located by a unique
snippet: the script finds the sentence containing the snippet (optionally
extending it to the next / previous sentence), so offsets are always exact
Python str indices into the source read as bytes.decode("utf-8").

Run:  python eval/make_questions.py
"""
import collections
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = "ge-honglin-2025-mining-speech.md"
SRC_PATH = ROOT / "corpus" / DOC
OUT_PATH = ROOT / "eval" / "questions.jsonl"

SRC = SRC_PATH.read_bytes().decode("utf-8")


def segment(s):
    """Sentence spans (start, end). Lines are split on newlines; markdown
    heading markers are excluded; sentences end at . ! ? (plus an optional
    closing quote) followed by whitespace or directly by a capital letter
    (the speech sometimes omits the space, e.g. "instability.From")."""
    segs = []
    pos = 0
    for line in s.split("\n"):
        ls, le = pos, pos + len(line)
        pos = le + 1
        m = re.match(r"#+ ", line)
        st = ls + (m.end() if m else 0)
        if st >= le:
            continue
        cur = st
        for mm in re.finditer(r'[.!?]["\u201d]?(?=\s|[A-Z])', s[st:le]):
            end = st + mm.end()
            segs.append((cur, end))
            while end < le and s[end] == " ":
                end += 1
            cur = end
        if cur < le:
            segs.append((cur, le))
    return segs


SEGS = segment(SRC)

# Each entry: (type, question, answers, snippet, opts)
#   snippet: unique substring of the evidence sentence (None = unanswerable)
#   opts: n = number of consecutive sentences (default 1),
#         pre = how many preceding sentences to include (default 0),
#         occ = which occurrence of answers[0] inside the evidence (default 0)
Q = [
    # ---- byline / title region -------------------------------------------
    ("name", "Who delivered this speech?",
     ["Ge Honglin"], "Party Secretary and Chairman Ge Honglin", {}),
    ("name", "Which organization does the speaker represent?",
     ["China Non-Ferrous Metals Industry Association"],
     "China Non-Ferrous Metals Industry Association\n", {"n": 2}),
    ("name", "At what event was this speech given?",
     ["2025 (21st) China Non-Ferrous Metals Mining Conference",
      "China Non-Ferrous Metals Mining Conference"],
     "Excerpt from a speech at", {}),
    ("date", "When was this speech published?",
     ["Jun 16, 2025", "Jun 16, 2025 09:45"], "published Jun 16, 2025", {}),
    ("number", "How many perspectives did Ge Honglin say he would share?",
     ["four perspectives", "four"], "I would like to share four perspectives", {}),

    # ---- global changes: intro & geopolitics -----------------------------
    ("yes-no-what", "What have critical minerals turned into as rivalry between major powers intensifies?",
     ["a key area of strategic competition among countries"],
     "critical minerals have become a key area", {}),
    ("yes-no-what", "What risk does the critical minerals supply chain face because of geopolitical rivalry?",
     ["the risk of instability", "instability"], "First, geopolitical rivalries", {}),
    ("list", "Through which mechanisms are the US and Europe trying to form critical minerals alliances?",
     ["Minerals Security Partnership (MSP) and the Partnership for Global Infrastructure and Investment (PGII)"],
     "Minerals Security Partnership (MSP)", {}),
    ("why", "What are the US and Europe trying to achieve with their critical minerals alliances?",
     ["exclude other countries from the global supply chain"], "Minerals Security Partnership (MSP)", {}),
    ("number", "What localization ratio does the EU's Critical Raw Materials Act set for lithium and rare earth processing?",
     ["40%", "exceed 40%"], "Critical Raw Materials Act requires", {}),
    ("name", "Which US law is mentioned as shutting out foreign battery materials?",
     ["Inflation Reduction Act (IRA)", "Inflation Reduction Act"], "Inflation Reduction Act (IRA) excludes", {}),
    ("how", "How does the IRA exclude foreign battery materials?",
     ["through tax incentives", "tax incentives"], "Inflation Reduction Act (IRA) excludes", {}),
    ("why", "What is the aim of anti-globalization industrial policies like these, according to the speaker?",
     ["create a \"chilling effect\" on other countries' overseas mineral investments",
      "a \"chilling effect\""], "Such industrial policies", {}),

    # ---- resource nationalism / cobalt ------------------------------------
    ("number", "How many mining licenses were cancelled in Guinea?",
     ["46"], "large-scale cancellation of mining licenses", {}),
    ("list", "In which countries have there been disputes over foreign investment cooperation?",
     ["Niger, DRC, Chad", "Niger, DRC, Chad, and other places"], "successive disputes over foreign investment", {}),
    ("number", "What share of the world's cobalt resources comes from the DRC?",
     ["70%"], "the DRC supplies 70%", {}),
    ("date", "On what date did the DRC announce its cobalt export suspension?",
     ["February 22", "February 22 this year"], "On February 22 this year", {}),
    ("two-sentence", "How much could the DRC's cobalt export halt cut exports by in 2025?",
     ["approximately 70,000 mt", "70,000 mt"], "On February 22 this year", {"n": 2}),
    ("number", "What was the refined cobalt price in the last week of February?",
     ["160,000 yuan/mt"], "the price of refined cobalt experienced", {}),
    ("number", "By how much did refined cobalt prices rise between late February and early May?",
     ["over 50%"], "the price of refined cobalt experienced", {}),
    ("why", "Why did the price of refined cobalt swing so sharply this spring?",
     ["the suspension of exports"], "It is estimated that the suspension", {"n": 2}),

    # ---- green / low-carbon requirements ----------------------------------
    ("list", "Which metals fall within the EU CBAM's initial taxation scope?",
     ["aluminum and nickel"], "Carbon Border Adjustment Mechanism (CBAM) includes", {}),
    ("date", "By when does the New Battery Regulation demand carbon footprint certification for lithium carbonate?",
     ["2027", "by 2027"], "The New Battery Regulation requires", {}),
    ("why", "Why are mainstream battery makers pushing to use more green electricity?",
     ["requires full life cycle carbon footprint certification for lithium carbonate"],
     "The New Battery Regulation requires", {}),
    ("list", "What will ESG ratings and responsible supply chain audits directly affect for companies?",
     ["corporate financing costs and international cooperation opportunities"], "ESG ratings and responsible", {}),

    # ---- China trends: intro ----------------------------------------------
    ("list", "What does the \"new three\" refer to?",
     ["PV, lithium-ion battery and NEV"], "the vigorous development of new quality productive forces", {}),
    ("number", "For how many years in a row has the industry's return on assets beaten the national industrial average?",
     ["four consecutive years", "four"], "total return on assets has exceeded", {}),

    # ---- Trend 1 -------------------------------------------------------------
    ("number", "How much did China produce of the ten non-ferrous metals from January to April?",
     ["26.6 million mt"], "production of ten non-ferrous metals reached", {}),
    ("number", "How much did fixed asset investment in the non-ferrous industry grow?",
     ["20.7%"], "Fixed asset investment increased by", {}),
    ("number", "What revenue did large non-ferrous enterprises (above designated size) earn in January-April?",
     ["3.09 trillion yuan"], "achieved a revenue of 3.09 trillion yuan", {}),
    ("number", "How much profit did non-ferrous enterprises above designated size make?",
     ["128.17 billion yuan"], "achieved a revenue of 3.09 trillion yuan", {}),

    # ---- Trend 2 -------------------------------------------------------------
    ("name", "Which Chinese technology has changed the global nickel supply landscape?",
     ["efficient leaching technology for low-grade laterite nickel ore hydrometallurgy"],
     "efficient leaching technology for low-grade laterite", {}),
    ("how", "How does China extract lithium from salt lakes with a high magnesium-to-lithium ratio?",
     ["adsorption-membrane method", "The adsorption-membrane method"], "The adsorption-membrane method", {}),
    ("name", "Which company developed the active magnesium oxide used for cobalt precipitation?",
     ["Western Mining Co., Ltd.", "Western Mining"], "developed by Western Mining", {}),
    ("list", "Which domestically developed smelting process technologies have reached world-class levels?",
     ["continuous copper smelting and converting technology, triple-furnace lead smelting technology, "
      "zinc smelting leaching residue disposal technology, and regenerative vertical tank magnesium smelting technology"],
     "continuous copper smelting and converting", {}),
    ("how", "How is China using renewables directly in aluminum smelting?",
     ["intelligent \"wind power\" and \"PV\" direct current (DC) power supply",
      "\"wind power\" and \"PV\" direct current (DC) power supply"], "The application of intelligent", {}),

    # ---- Trend 3 -------------------------------------------------------------
    ("name", "Which city has built a full industrial chain from mining to permanent magnet motors?",
     ["Ganzhou, Jiangxi Province", "Ganzhou"], "For instance, Ganzhou", {}),
    ("name", "Which place is held up as a sample of China's lead circular economy?",
     ["Jiyuan, Henan Province", "Jiyuan"], "Jiyuan, Henan Province", {}),
    ("how", "How does Jiyuan manage to achieve \"full utilisation\" of resources?",
     ["resources - products - waste products - renewable resources"], "Jiyuan, Henan Province", {}),
    ("name", "What is the name of Ganzhou's 2021-2025 plan covering rare earths and tungsten?",
     ["Rare Earth, Tungsten, and Rare Metal Industry Development Plan (2021-2025)"],
     "For example, Ganzhou, Jiangxi Province, has issued", {}),
    ("how", "How is Ganzhou supporting its rare earth and permanent magnet motor industry chain?",
     ["land allocation preferences, equipment subsidies, and tax exemptions"],
     "For example, Ganzhou, Jiangxi Province, has issued", {}),

    # ---- Trend 4: green mines ------------------------------------------------
    ("number", "How many green mines does China have nationwide?",
     ["over 4,000"], "there are over 4,000 green mines", {}),
    ("number", "How many green mines belong to the non-ferrous metals industry?",
     ["314"], "there are 314 green mines", {}),
    ("number", "What fraction of licensed non-ferrous metal mines have green mine status?",
     ["14%"], "there are 314 green mines", {}),
    ("number", "How many national-level green non-ferrous metal mines are there?",
     ["124"], "there are 124 national-level", {}),

    # ---- Trend 5 -------------------------------------------------------------
    ("number", "What purity grade of indium is used for 5G communication chips?",
     ["7N-grade", "7N"], "7N-grade high-purity indium", {}),
    ("list", "Which new energy materials does the speech say have reached world-class R&D levels?",
     ["sintered NdFeB magnetic materials and LFP"], "sintered NdFeB", {}),
    ("date", "When were gallium and germanium put on China's export control list?",
     ["August 1, 2023"], "inclusion of gallium and germanium", {}),
    ("list", "Which metals were added to export control in 2024 and 2025?",
     ["antimony, tungsten, bismuth, tellurium, molybdenum, indium, and rare earths"],
     "inclusion of gallium and germanium", {}),

    # ---- Challenges: intro ---------------------------------------------------
    ("name", "Which copper mine in Tibet is cited as a major domestic project?",
     ["Yulong Copper Mine", "Yulong Copper Mine in Tibet"], "including the Yulong Copper Mine", {}),
    ("number", "By end-2024, how much of China's copper concentrate demand did Chinese firms' overseas equity mines cover?",
     ["nearly 30%"], "production of copper from overseas equity mines", {}),
    ("number", "What share of China's imported bauxite comes from overseas equity production?",
     ["over 60%"], "overseas equity bauxite", {}),
    ("yes-no-what", "Can overseas equity nickel and cobalt production cover China's domestic demand?",
     ["fully met domestic demand"], "overseas equity nickel and cobalt", {}),

    # ---- Challenge 1 ---------------------------------------------------------
    ("number", "How much non-ferrous ore (physical content) did China import in 2024?",
     ["230 million mt"], "physical content of imported", {}),
    ("number", "What is the non-ferrous industry's overall external purchase ratio?",
     ["60%", "exceeded 60%"], "The overall \"external purchase ratio\"", {}),
    ("number", "Of the 22 major non-ferrous minerals, how many does China import?",
     ["18"], "Among the 22 major", {}),
    ("number", "How dependent is China on imported copper?",
     ["80%"], "external dependency ratios for strategic", {}),
    ("number", "What is the external dependency ratio for aluminum?",
     ["67%"], "external dependency ratios for strategic", {}),
    ("number", "How dependent is China on imported nickel?",
     ["86%"], "external dependency ratios for strategic", {}),
    ("number", "What share of China's cobalt comes from abroad?",
     ["98%"], "external dependency ratios for strategic", {}),
    ("number", "How reliant is China on foreign lithium?",
     ["70%"], "external dependency ratios for strategic", {}),
    ("number", "How much of China's platinum group metals supply depends on imports?",
     ["80%"], "external dependency ratios for strategic", {"occ": 1}),
    ("name", "Which strategic mineral has the highest external dependency ratio?",
     ["cobalt"], "external dependency ratios for strategic", {}),
    ("number", "How much tin does China have to buy from abroad?",
     ["65%"], "traditionally advantageous minerals", {}),

    # ---- Challenge 2 ---------------------------------------------------------
    ("list", "Which hazardous elements from smelting can basically be recovered and reused?",
     ["Arsenic and mercury"], "Arsenic and mercury in the smelting", {}),
    ("why", "Why are waste disposal volumes and difficulty going up for mines and smelters?",
     ["the continuous increase in total volume"], "However, with the continuous increase", {}),
    ("why", "Why do mines and smelters face stricter environmental protection requirements?",
     ["the upgrading of environmental protection standards"], "Additionally, with the upgrading", {}),
    ("yes-no-what", "What has become standard practice at heavy non-ferrous metal smelters?",
     ["Special emissions", "\"Special emissions\""], "have gradually become a standard configuration", {}),
    ("name", "Which notice on green mines was issued in 2024?",
     ["Notice on Further Strengthening the Construction of Green Mines"], "seven ministries and commissions", {}),
    ("number", "What share of large mines must meet green mine standards by the end of 2028?",
     ["90%"], "seven ministries and commissions", {}),
    ("date", "What is the deadline for large and medium mines to meet the green mine standards?",
     ["the end of 2028", "end of 2028"], "seven ministries and commissions", {}),
    ("how", "How does the green mines policy enforce compliance?",
     ["closed-loop management mechanism",
      "rectification within a time limit - evaluation and acceptance - withdrawal and elimination"], "closed-loop management mechanism", {}),
    ("number", "How long a window for transformation does the non-ferrous industry have left?",
     ["2-3 year", "2-3 year window"], "only a 2-3 year window", {}),

    # ---- Challenge 3 ---------------------------------------------------------
    ("name", "Which institute developed the world's first 6000-meter deep-sea mining equipment?",
     ["Changsha Institute of Mining Research", "the Changsha Institute of Mining Research under Minmetals"],
     "the Changsha Institute of Mining Research", {}),
    ("date", "In what year was the 6000-meter-level deep-sea mining equipment developed?",
     ["2021"], "the Changsha Institute of Mining Research", {}),
    ("two-sentence", "What obstacles still stand in the way of full commercialization of China's deep-sea mining?",
     ["technology, policy, environmental protection, and economics"],
     "the Changsha Institute of Mining Research", {"n": 2}),
    ("yes-no-what", "What does China need to lead to gain a dominant position in deep-sea mining?",
     ["the formulation of standards and rules"], "lead the formulation of standards and rules", {}),
    ("yes-no-what", "What is still low in the digital and intelligent development of mines?",
     ["the penetration rate of intelligent mines and industrial internet"], "the penetration rate of intelligent", {}),

    # ---- Challenge 4 ---------------------------------------------------------
    ("two-sentence", "Where has cut-throat competition spread in recent years?",
     ["high-end fields"], "The surplus of low and mid-end capacity", {"n": 2}),
    ("why", "Why is there an oversupply of smelting and processing capacity in certain areas?",
     ["provinces and enterprises engaging in unhealthy competition"], "Most notably, there has been excessive", {}),
    ("number", "How much copper smelting capacity has China added since 2020?",
     ["over 3.7 million mt"], "since 2020, China has added", {}),
    ("two-sentence", "What is China's total copper smelting capacity now?",
     ["16 million mt", "surpassed 16 million mt"], "since 2020, China has added", {"n": 2}),
    ("number", "What was China's copper concentrate self-sufficiency rate in 2024?",
     ["less than 20%"], "The total national capacity has surpassed", {}),
    ("number", "Where did copper concentrate treatment charges stand by April 2025?",
     ["below -$45/mt", "-$45/mt"], "copper concentrate treatment charges (TCs)", {}),
    ("number", "What were copper TCs in 2023?",
     ["nearly $100"], "copper concentrate treatment charges (TCs)", {}),
    ("why", "Why have copper concentrate treatment charges kept falling?",
     ["rapid growth in capacity", "The rapid growth in capacity"], "copper concentrate treatment charges (TCs)", {}),
    ("two-sentence", "What does the collapse in copper treatment charges mean for smelters?",
     ["processing is now being done at a loss"], "copper concentrate treatment charges (TCs)", {"n": 2}),

    # ---- Four pillars ----------------------------------------------------------
    ("list", "What are the four pillars the industry must adhere to?",
     ["innovation as the engine, green development as the foundation, digital intelligence as the means, "
      "and mutual benefit as the goal"], "adhere to a \"four-pillar\" approach", {}),
    ("name", "Who is quoted as saying mineral resources are an important material foundation for development?",
     ["Xi Jinping", "General Secretary Xi Jinping"], "General Secretary Xi Jinping emphasized", {}),
    ("two-sentence", "What should enterprises treat as their core strategic task, given Xi's view of mineral resources?",
     ["mineral exploration breakthroughs", "\"mineral exploration breakthroughs\""],
     "General Secretary Xi Jinping emphasized", {"n": 2}),
    ("how", "How should significant breakthroughs in exploration and development be achieved?",
     ["dual-driven innovation in science, technology, and institutional mechanisms"],
     "Through dual-driven innovation", {}),
    ("list", "What should the exploration of zero-carbon mines focus on?",
     ["green mine construction, ecological restoration, and comprehensive utilization of waste and tailings"],
     "Adhering to the principle", {}),
    ("list", "What are the three key areas of focus under the digital intelligence pillar?",
     ["scientific and technological breakthroughs, industrial transformation, and digital empowerment"],
     "Platforms should be built", {}),
    ("how", "How will the intelligent management and control platform for mines be built?",
     ["5G and big data"], "technologies such as 5G and big data", {}),
    ("two-sentence", "What is the goal of integrating 5G and big data into mine management, in the speaker's own image?",
     ["make the \"mine brain\" smarter and the \"mining backbone\" stronger",
      "make the \"mine brain\" smarter"], "technologies such as 5G and big data", {"n": 2}),

    # ---- Driver 4 --------------------------------------------------------------
    ("name", "In which country are joint experiments in green metallurgy and new energy materials taking place?",
     ["Indonesia"], "joint experiments and technological breakthroughs", {}),
    ("list", "What have Chinese companies invested in in the DRC?",
     ["community hospitals and vocational training centers"], "joint experiments and technological breakthroughs", {}),
    ("name", "Where is seawater lithium extraction technology being developed jointly?",
     ["Chile"], "joint experiments and technological breakthroughs", {}),
    ("yes-no-what", "What does the speaker hope China will become in non-ferrous metal mining?",
     ["a powerhouse in non-ferrous metal mining"], "In summary, we will drive", {}),

    # ---- unanswerable: off-topic ---------------------------------------------
    ("off-topic", "What's the weather going to be like in Shanghai tomorrow?", [], None, {}),
    ("off-topic", "Who won the 2022 FIFA World Cup final?", [], None, {}),
    ("off-topic", "How do I make a creamy mushroom risotto?", [], None, {}),
    ("off-topic", "What's the difference between TCP and UDP?", [], None, {}),
    ("off-topic", "How many moons does Jupiter have?", [], None, {}),
    ("off-topic", "Can you recommend a good laptop for video editing under $1500?", [], None, {}),
    ("off-topic", "How do I reset a forgotten iPhone passcode?", [], None, {}),
    ("off-topic", "Who wrote Pride and Prejudice?", [], None, {}),
    ("off-topic", "What is the capital of Australia?", [], None, {}),
    ("off-topic", "How do Python decorators work?", [], None, {}),

    # ---- unanswerable: near-miss ---------------------------------------------
    ("near-miss", "What is China's external dependency ratio for tungsten?", [], None, {}),
    ("near-miss", "What was the price of refined cobalt in 2023?", [], None, {}),
    ("near-miss", "How many green mines does Guinea have?", [], None, {}),
    ("near-miss", "Who is the CEO of Western Mining Co., Ltd.?", [], None, {}),
    ("near-miss", "What was China's copper smelting capacity in 2019?", [], None, {}),
    ("near-miss", "When does the EU's CBAM start charging on aluminum imports?", [], None, {}),
    ("near-miss", "What is the current price of lithium carbonate?", [], None, {}),
    ("near-miss", "How dependent is China on imported rare earths?", [], None, {}),
    ("near-miss", "How many mining licenses did Niger cancel?", [], None, {}),
    ("near-miss", "What was the total output of the ten non-ferrous metals for the full year 2024?", [], None, {}),
    ("near-miss", "What is the annual copper output of the Yulong Copper Mine?", [], None, {}),
    ("near-miss", "When did the Xiarihamu Nickel Mine start production?", [], None, {}),
    ("near-miss", "How many intelligent mines are there in China?", [], None, {}),
    ("near-miss", "What were copper concentrate treatment charges in April 2024?", [], None, {}),
    ("near-miss", "What localization ratio does the EU Critical Raw Materials Act require for nickel processing?", [], None, {}),
    ("near-miss", "Besides the Ministry of Natural Resources, which ministries co-issued the 2024 green mines notice?", [], None, {}),
    ("near-miss", "Where was the 2025 China Non-Ferrous Metals Mining Conference held?", [], None, {}),
    ("near-miss", "When did Ge Honglin become chairman of the China Non-Ferrous Metals Industry Association?", [], None, {}),
    ("near-miss", "How many member countries does the Minerals Security Partnership have?", [], None, {}),
    ("near-miss", "What share of global rare earth output does China produce?", [], None, {}),
    ("near-miss", "What is the externally purchased ratio for lead?", [], None, {}),
]


def find_evidence(snippet, n=1, pre=0):
    hits = [i for i, (a, b) in enumerate(SEGS) if snippet in SRC[a:b]]
    if not hits:  # snippet may straddle a sentence boundary
        k = SRC.find(snippet)
        assert k >= 0 and SRC.count(snippet) == 1, snippet
        hits = [i for i, (a, b) in enumerate(SEGS) if a <= k < b]
    assert len(hits) == 1, (snippet, hits)
    i = hits[0] - pre
    j = i + n - 1 + pre
    return SEGS[i][0], SEGS[j][1]


def build():
    rows = []
    for k, (typ, question, answers, snippet, opts) in enumerate(Q, 1):
        row = {"id": f"s{k:03d}", "question": question, "answers": answers, "evidence": None,
               "doc": DOC, "evidence_start": None, "evidence_end": None, "answer_start": None, "type": typ}
        if snippet is not None:
            s, e = find_evidence(snippet, opts.get("n", 1), opts.get("pre", 0))
            ev = SRC[s:e]
            occ_total = SRC.count(ev)
            # evidence must be unique in the source (or we have chosen it explicitly by position)
            assert occ_total == 1, (row["id"], ev)
            assert answers, row["id"]
            for a in answers:
                assert a in ev, (row["id"], a)
            # locate answers[0] (the occ-th occurrence inside the evidence)
            p = -1
            for _ in range(opts.get("occ", 0) + 1):
                p = ev.find(answers[0], p + 1)
                assert p >= 0, (row["id"], answers[0])
            row.update(evidence=ev, evidence_start=s, evidence_end=e, answer_start=s + p)
        else:
            assert answers == [] and typ in ("off-topic", "near-miss"), row["id"]
        rows.append(row)
    return rows


def validate(path):
    src = SRC
    n = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        n += 1
        if r["answers"]:
            s, e = r["evidence_start"], r["evidence_end"]
            assert src[s:e] == r["evidence"], r["id"]
            a0 = r["answers"][0]
            assert src[r["answer_start"]:r["answer_start"] + len(a0)] == a0, r["id"]
            assert s <= r["answer_start"] and r["answer_start"] + len(a0) <= e, r["id"]
            assert all(a in r["evidence"] for a in r["answers"]), r["id"]
        else:
            assert r["evidence"] is None and r["evidence_start"] is None
            assert r["evidence_end"] is None and r["answer_start"] is None
    return n


if __name__ == "__main__":
    rows = build()
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert len(set(r["question"] for r in rows)) == len(rows), "duplicate question"
    with OUT_PATH.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = validate(OUT_PATH)
    c = collections.Counter(r["type"] for r in rows)
    ans = sum(1 for r in rows if r["answers"])
    print(f"wrote {n} questions to {OUT_PATH} ({ans} answerable, {n - ans} unanswerable)")
    for t, k in sorted(c.items(), key=lambda x: -x[1]):
        print(f"  {t:14s} {k}")
    print("validation passed")
