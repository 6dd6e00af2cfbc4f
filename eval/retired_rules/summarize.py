"""Collect runs/<variant>-<set>.json into retired_rules.json and retired_rules.md (figures for the "hybrid" system)."""
import json
import sys
from pathlib import Path

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")  # the folder holding runs/ (run.sh passes it)
HERE = Path(__file__).resolve().parent
SETS = {"squad2small": "SQuAD 2.0 dev-small (626 q, 333 unanswerable)",
        "xquad": "XQuAD-en unseen (838 q, all answerable)"}
METRICS = [("quote_hit", "quote hit"), ("f1", "token F1"), ("contains", "contains"),
           ("abstain_f1", "abstention F1"), ("false_abstain_rate", "false-abstain rate")]
VARIANTS = [line.split("\t", 1) for line in (HERE / "variants.tsv").read_text().splitlines() if line.strip()]


def figures(variant: str, set_: str, system: str = "hybrid"):
    path = ROOT / "runs" / f"{variant}-{set_}.json"
    if not path.exists():
        return None
    s = json.loads(path.read_text())["systems"].get(system)
    return None if s is None else {k: s.get(k) for k, _ in METRICS}


def delta(a, b):
    return None if a is None or b is None else round(a - b, 4)


full = {st: figures("full", st) for st in SETS}
out = {"system": "hybrid", "commit": "a7662c3^ (69412ed) + retired_rules.patch", "sets": SETS,
       "metrics": dict(METRICS), "full": full,
       "reference_hybrid_no_model": {st: figures("full", st, "hybrid-no-model") for st in SETS},
       "variants": {}}
for name, desc in VARIANTS:
    entry = {"description": desc}
    for st in SETS:
        f = figures(name, st)
        entry[st] = None if f is None else {"figures": f, "delta_vs_full": {
            k: delta(f[k], (full[st] or {}).get(k)) for k, _ in METRICS}}
    out["variants"][name] = entry
(ROOT / "retired_rules.json").write_text(json.dumps(out, indent=2) + "\n")


def fmt(x, signed=False):
    if x is None:
        return "–"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


short = {"quote_hit": "QH", "f1": "F1", "contains": "Cont", "abstain_f1": "AbsF1", "false_abstain_rate": "FalseAbs"}
xquad_metrics = [k for k, _ in METRICS if k != "abstain_f1"]  # no unanswerable questions in XQuAD: undefined
cols = [(st, k) for st in SETS for k, _ in METRICS if st != "xquad" or k in xquad_metrics]
head = "| variant | what it switches off | " + " | ".join(f"{'SQ2' if st == 'squad2small' else 'XQ'} {short[k]}"
                                                            for st, k in cols) + " |"
lines = ["# What each retired answer-layer rule was worth (held-out ablation of commit a7662c3^)", "",
         "System: `hybrid` (the shipped answer model on, as `qa eval --mode hybrid --no-baseline`). Each variant "
         "switches off ONE rule group with `QA_ABLATE=<variant>` (retired_rules.patch). Variant rows are deltas "
         "vs the full system (variant minus full; negative quote hit / F1 / contains / abstention F1 = the rule "
         "helped; for the false-abstain rate, positive = the rule helped).", "",
         "SQ2 = " + SETS["squad2small"] + "; XQ = " + SETS["xquad"] + " (abstention F1 undefined there). "
         "QH = quote hit, F1 = token F1, Cont = contains (short answer), AbsF1 = abstention F1, "
         "FalseAbs = false-abstain rate.", "",
         head, "|---|---|" + "---:|" * len(cols)]
lines.append("| **full** (absolute) | nothing | " + " | ".join(fmt((full[st] or {}).get(k)) for st, k in cols) + " |")
for name, desc in VARIANTS:
    e = out["variants"][name]
    cells = [fmt(e[st]["delta_vs_full"][k], True) if e[st] else "not run" for st, k in cols]
    lines.append(f"| {name} | {desc} | " + " | ".join(cells) + " |")
ref = out["reference_hybrid_no_model"]
lines += ["", "Reference (from the full runs' own `hybrid-no-model` row, i.e. the whole learned model off, hand-set "
          "scores + typed spans + abstain_model.json), absolute: " + "; ".join(
              f"{'SQ2' if st == 'squad2small' else 'XQ'} " + ", ".join(f"{short[k]} {fmt((ref[st] or {}).get(k))}"
                                                                      for k, _ in METRICS) for st in SETS) + "."]
(ROOT / "retired_rules.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
