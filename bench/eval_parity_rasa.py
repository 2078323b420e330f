"""Check that stratus.evaluation writes the same reports as Rasa 3.6's own code.

Random intent/entity predictions are scored twice: by Rasa's `rasa.nlu.test` functions in
the peer venv (sklearn inside) and by stratus.evaluation; every report, headline number,
`confused_with` order and entity error list must agree.

    .venv/bin/python bench/eval_parity_rasa.py [--cases 300] [--rasa-venv .peers/rasa]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import peer_venv  # noqa: E402

RASA_SIDE = r"""
import json, logging, sys, warnings
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
from rasa.nlu import test as T
from rasa.nlu.tokenizers.tokenizer import Token
d = json.load(open(sys.argv[1]))
out = {"cases": []}
for c in d["cases"]:
    r = T._calculate_report("x", c["t"], c["p"], True, c["excl"])
    out["cases"].append({"report": r[0], "precision": r[1], "f1": r[2], "accuracy": r[3]})
results = [T.EntityEvaluationResult(e["gold"], e["pred"], [Token(t, s) for t, s, _ in e["tokens"]],
           e["text"]) for e in d["ents"]]
res = T.evaluate_entities(results, T._get_active_entity_extractors(results), None, False, False,
                          True, report_as_dict=True)
out["ents"] = {k: {"report": v["report"], "precision": v["precision"], "f1": v["f1_score"],
               "accuracy": v["accuracy"], "errors": v["errors"]} for k, v in res.items()}
json.dump(out, open(sys.argv[2], "w"), default=float)
"""


def spans(
    rng: random.Random, offsets: list[tuple[int, int]], extractor: str | None
) -> list[dict[str, Any]]:
    """Random non-overlapping entities over whole tokens."""
    out, i = [], 0
    while i < len(offsets):
        if rng.random() < 0.35:
            j = min(len(offsets), i + rng.randint(1, 3))
            e: dict[str, Any] = {
                "start": offsets[i][0], "end": offsets[j - 1][1],
                "entity": rng.choice(["city", "time", "num"]), "value": "v",
            }  # fmt: skip
            if rng.random() < 0.2:
                e["role"] = "r"
            if extractor:
                e["extractor"] = extractor
                e["confidence_entity"] = round(rng.random(), 3)
            out.append(e)
            i = j
        else:
            i += 1
    return out


def random_data(n_cases: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    cases = []
    for _ in range(n_cases):
        labels = ["a", "b", "c", "d", "e"][: rng.randint(1, 5)]
        t = [rng.choice(labels) for _ in range(rng.randint(1, 40))]
        # "" is what Rasa makes of a missing prediction
        extra = (
            labels + (["zz"] if rng.random() < 0.4 else []) + ([""] if rng.random() < 0.2 else [])
        )
        p = [x if rng.random() < 0.6 else rng.choice(extra) for x in t]
        cases.append({"t": t, "p": p, "excl": rng.choice([None, "a"])})
    words = ["book", "a", "table", "in", "new", "york", "for", "two", "at", "seven", "pm"]
    ents = []
    for _ in range(n_cases):
        toks = [rng.choice(words) for _ in range(rng.randint(1, 8))]
        offsets: list[tuple[int, int]] = []
        o = 0
        for w in toks:
            offsets.append((o, o + len(w)))
            o += len(w) + 1

        pred = spans(rng, offsets, "DIETClassifier")
        if rng.random() < 0.3:
            pred += spans(rng, offsets, "RegexEntityExtractor")
        ents.append({
            "text": " ".join(toks), "gold": spans(rng, offsets, None), "pred": pred,
            "tokens": [[w, s, e] for w, (s, e) in zip(toks, offsets)],
        })  # fmt: skip
    return {"cases": cases, "ents": ents}


def same(a: Any, b: Any, path: str = "") -> str | None:
    """The first difference between two JSON values (floats to 1e-12), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b) and set(a) != set(b):
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            if (d := same(a[k], b[k], f"{path}/{k}")) is not None:
                return d
        if "confused_with" in path.rsplit("/", 1)[-1] and list(a) != list(b):
            return f"{path}: order {list(a)} != {list(b)}"
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for x, y in zip(a, b):
            if (d := same(x, y, path)) is not None:
                return d
        return None
    if isinstance(a, float) or isinstance(b, float):
        return None if math.isclose(a, b, abs_tol=1e-12) else f"{path}: {a} != {b}"
    return None if a == b else f"{path}: {a!r} != {b!r}"


def main() -> int:
    from stratus.evaluation.evaluator import evaluate_entities
    from stratus.evaluation.metrics import classification_report
    from stratus.evaluation.results import EntityResult, Token

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rasa-venv", type=Path, default=None)
    args = parser.parse_args()
    venv = peer_venv(args.rasa_venv)
    data = random_data(args.cases, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(data))
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
        subprocess.run([str(venv / "bin" / "python"), "-c", RASA_SIDE, str(inp), str(out)],
                       check=True, env=env, capture_output=True)  # fmt: skip
        rasa = json.loads(out.read_text())

    differences = []
    for i, (case, theirs) in enumerate(zip(data["cases"], rasa["cases"])):
        s = classification_report(case["t"], case["p"], case["excl"])
        ours = {"report": s.report, "precision": s.precision, "f1": s.f1, "accuracy": s.accuracy}
        if (d := same(ours, theirs, f"case {i}")) is not None:
            differences.append(d)
    results = [
        EntityResult(
            tuple(e["gold"]), tuple(e["pred"]), tuple(Token(*t) for t in e["tokens"]), e["text"]
        )
        for e in data["ents"]
    ]
    for name, evaluation in evaluate_entities(results).items():
        s = evaluation.scores
        ours = {"report": s.report, "precision": s.precision, "f1": s.f1, "accuracy": s.accuracy,
                "errors": evaluation.errors}  # fmt: skip
        if (d := same(ours, rasa["ents"].get(name), name)) is not None:
            differences.append(d)
    print(f"{len(data['cases'])} classification reports and {len(rasa['ents'])} entity extractors "
          f"over {len(results)} messages compared with Rasa 3.6: {len(differences)} differences")  # fmt: skip
    for d in differences[:10]:
        print("  ", d)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
