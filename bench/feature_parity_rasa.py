"""Check that Stratus' tokenizer and featurizers give DIET the inputs Rasa 3.6's give it.

The benchmark pipeline's tokenizer and sparse featurizers (bench/nlu_accuracy.py's shared
config) are fitted on a dataset's training file twice: by Rasa's own components in the
peer venv (sklearn's CountVectorizer inside) and by Stratus'. For every sampled message,
every featurizer's width, tokens, token rows and sentence row (feature ids and values)
must agree, so an accuracy gap between the two systems is the network's, not the inputs'.

    .venv/bin/python bench/feature_parity_rasa.py [--datasets snips,banking77] [--every 5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from nlu_accuracy import DATASETS_DIR, shared_config  # noqa: E402
from peers import peer_venv  # noqa: E402

# {featurizer key: {"dim": int, "rows": [{"tokens", "seq", "sent"}, ...]}}, one row per
# sampled message; a key is "<index>_<name>", the pipeline position as Stratus names it.
Blocks = dict[str, dict[str, Any]]

RASA_SIDE = r"""
import json, logging, sys, tempfile, warnings
from pathlib import Path
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import (
    LexicalSyntacticFeaturizer)
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.loading import load_data
CLASSES = {c.__name__: c for c in (WhitespaceTokenizer, RegexFeaturizer,
           LexicalSyntacticFeaturizer, CountVectorsFeaturizer)}
train, pipeline, every, out = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
data = load_data(train)
for index, item in enumerate(pipeline):
    cls, key = CLASSES[item["name"]], f"{index}_{item['name']}"
    options = {k: v for k, v in item.items() if k != "name"}
    component = cls.create({**cls.get_default_config(), **options}, storage, Resource(key),
                           ExecutionContext(GraphSchema({}), "parity", node_name=key))
    if hasattr(component, "train"):
        component.train(data)
    component.process_training_data(data)
blocks = {}
messages = [m for m in data.training_examples if m.get("text")]
for m in messages[::every]:
    tokens = [t.text for t in m.get("text_tokens")]
    seen = {}
    for f in m.features:
        if f.attribute != "text" or not f.is_sparse():
            continue
        rows = f.features.tocsr()
        rows = [sorted(zip(rows[i].indices.tolist(), rows[i].data.tolist()))
                for i in range(rows.shape[0])]
        entry = seen.setdefault(f.origin, {"tokens": tokens, "seq": None, "sent": None})
        blocks.setdefault(f.origin, {"dim": f.features.shape[1], "rows": []})
        if f.type == "sequence":
            entry["seq"] = rows
        else:
            entry["sent"] = rows[0]
    for key, entry in seen.items():
        blocks[key]["rows"].append(entry)
json.dump({"blocks": blocks}, open(out, "w"))
"""


def featurizing_pipeline() -> list[dict[str, Any]]:
    """The benchmark pipeline up to its last featurizer (tokenizer and sparse featurizers)."""
    pipeline = shared_config(1)["pipeline"]
    last = max(i for i, c in enumerate(pipeline) if c["name"].endswith("Featurizer"))
    return pipeline[: last + 1]


def stratus_blocks(train: Path, pipeline: list[dict[str, Any]], every: int) -> Blocks:
    from stratus.nlu.message import Message
    from stratus.nlu.registry import build_component, fill_pipeline
    from stratus.shared.training_data import load_training_data

    data = load_training_data([train]).nlu
    messages = [Message(e.text, example=e) for e in data.examples]
    for index, item in enumerate(fill_pipeline(pipeline)):
        component = build_component(item, index)
        component.fit(messages, data)
        component.process(messages)
    blocks: Blocks = {}
    for m in messages[::every]:
        for b in m.sparse:
            block = blocks.setdefault(b.featurizer, {"dim": b.dim, "rows": []})
            sentence = b.sentence_row()
            block["rows"].append(
                {
                    "tokens": [t.text for t in m.tokens],
                    "seq": [sorted(row) for row in b.sequence],
                    "sent": sorted(sentence) if sentence is not None else None,
                }
            )
    return blocks


def _same_row(a: list[Any] | None, b: list[Any] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and all(
        int(x[0]) == int(y[0]) and math.isclose(x[1], y[1], rel_tol=1e-6, abs_tol=1e-7)
        for x, y in zip(a, b)
    )


def compare(ours: Blocks, theirs: Blocks) -> list[str]:
    """Every difference between two systems' features, described for a person."""
    differences = [
        f"{key}: {'only Stratus' if key in ours else 'only Rasa'} has these features"
        for key in sorted(set(ours) ^ set(theirs))
    ]
    for key in sorted(set(ours) & set(theirs)):
        a, b = ours[key], theirs[key]
        if a["dim"] != b["dim"]:
            differences.append(f"{key}: {a['dim']} features, Rasa {b['dim']}")
        if len(a["rows"]) != len(b["rows"]):
            differences.append(f"{key}: {len(a['rows'])} messages, Rasa {len(b['rows'])}")
        for n, (x, y) in enumerate(zip(a["rows"], b["rows"])):
            where = f"{key}, message {n} {' '.join(x['tokens'])!r}"
            if x["tokens"] != y["tokens"]:
                differences.append(f"{where}: tokens differ from Rasa's {y['tokens']}")
                continue
            seq_x, seq_y = x["seq"] or [], y["seq"] or []
            bad = [
                t
                for t in range(max(len(seq_x), len(seq_y)))
                if t >= len(seq_x) or t >= len(seq_y) or not _same_row(seq_x[t], seq_y[t])
            ]
            if bad:
                differences.append(f"{where}: token {bad[0]} features differ from Rasa's")
            if not _same_row(x["sent"], y["sent"]):
                differences.append(f"{where}: sentence features differ from Rasa's")
    return differences


def rasa_blocks(venv: Path, train: Path, pipeline: list[dict[str, Any]], every: int) -> Blocks:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rasa.json"
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
        command = [str(venv / "bin" / "python"), "-c", RASA_SIDE, str(train),
                   json.dumps(pipeline), str(every), str(out)]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"Rasa's featurizers failed:\n{done.stderr[-3000:]}")
        blocks: Blocks = json.loads(out.read_text())["blocks"]
        return blocks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="snips,hwu64,banking77,clinc150")
    parser.add_argument("--every", type=int, default=5, help="compare every Nth message")
    parser.add_argument("--datasets-dir", type=Path, default=DATASETS_DIR)
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    args = parser.parse_args()
    venv = peer_venv(args.rasa_venv)
    pipeline = featurizing_pipeline()
    failed = False
    for name in args.datasets.split(","):
        train = args.datasets_dir / name / "train.yml"
        ours = stratus_blocks(train, pipeline, args.every)
        theirs = rasa_blocks(venv, train, pipeline, args.every)
        differences = compare(ours, theirs)
        widths = ", ".join(f"{k} {v['dim']}" for k, v in sorted(ours.items()))
        messages = max((len(v["rows"]) for v in ours.values()), default=0)
        print(f"{name}: {messages} messages (every {args.every}th), features {widths}; "
              f"{len(differences)} differences from Rasa 3.6")  # fmt: skip
        for d in differences[:10]:
            print("  ", d)
        failed = failed or bool(differences)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
