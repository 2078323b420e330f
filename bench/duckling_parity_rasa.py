"""Check that Stratus' DucklingEntityExtractor asks and answers as Rasa 3.6's does.

Both extractors (Rasa's in the peer venv, Stratus' here) parse the same texts against
one Duckling server on loopback, with every dimension, and filtered to `number` and to
`time`. Duckling itself has no PyPI or Debian package, so the server is the stand-in the
tests use (tests/support/fake_duckling.py), which answers every dimension whatever
`dims` asks, so the extractors' own filters are compared too. The requests each side
sent (form fields, the reference time aside) and the entities each returned must agree.

    .venv/bin/python bench/duckling_parity_rasa.py [--rasa-venv .peers/rasa]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "support")]
from fake_duckling import form, start_duckling  # noqa: E402
from peers import peer_venv  # noqa: E402

TEXTS = [
    "a table for four at 8",
    "tomorrow for 3 people",
    "tonight please",
    "nothing to find here",
    "",
    "2.5 kg and twenty",
]
DIMENSIONS: list[list[str] | None] = [None, ["number"], ["time"]]

RASA_SIDE = r"""
import json, logging, sys, warnings
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
from rasa.nlu.extractors.duckling_entity_extractor import DucklingEntityExtractor
from rasa.shared.nlu.training_data.message import Message
url, texts, dimensions = json.load(open(sys.argv[1]))
out = []
for dims in dimensions:
    config = {**DucklingEntityExtractor.get_default_config(), "url": url, "dimensions": dims}
    messages = [Message(data={"text": t}) for t in texts]
    DucklingEntityExtractor(config).process(messages)
    out.append([m.get("entities", []) for m in messages])
json.dump(out, open(sys.argv[2], "w"))
"""


def stratus_side(url: str) -> list[list[list[dict[str, Any]]]]:
    from stratus.nlu.duckling import DucklingEntityExtractor
    from stratus.nlu.message import Message

    out = []
    for dims in DIMENSIONS:
        config = {**DucklingEntityExtractor.defaults, "url": url, "dimensions": dims}
        messages = [Message(t) for t in TEXTS]
        DucklingEntityExtractor(config).process(messages)
        out.append([m.entities or [] for m in messages])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rasa-venv", type=Path, default=None, help="default: bench/peer_rasa.sh")
    args = parser.parse_args(argv)
    python = peer_venv(args.rasa_venv) / "bin" / "python"
    server = start_duckling(honour_dims=False)
    try:
        with tempfile.TemporaryDirectory(prefix="stratus-duckling-") as tmp:
            given, answered = Path(tmp) / "in.json", Path(tmp) / "out.json"
            given.write_text(json.dumps([server.url, TEXTS, DIMENSIONS]))
            subprocess.run([str(python), "-c", RASA_SIDE, str(given), str(answered)], check=True)
            rasa = json.loads(answered.read_text())
        asked_by_rasa = [form(r) for r in server.posted()]
        ours = stratus_side(server.url)
        asked_by_us = [form(r) for r in server.posted()][len(asked_by_rasa) :]
    finally:
        server.close()

    def without_time(fields: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{k: v for k, v in f.items() if k != "reftime"} for f in fields]

    same_requests = without_time(asked_by_rasa) == without_time(asked_by_us)
    pairs = [(r, s) for rd, sd in zip(rasa, ours) for r, s in zip(rd, sd)]
    same = sum(r == s for r, s in pairs)
    found = sum(len(r) for r, _ in pairs)
    print(f"requests: {len(asked_by_rasa)} by Rasa, {len(asked_by_us)} by Stratus; ", end="")
    print("the same form fields" if same_requests else "DIFFERENT form fields")
    print(f"parses: {same} of {len(pairs)} with the same entities ({found} entities from Rasa)")
    return 0 if same_requests and same == len(pairs) else 1


if __name__ == "__main__":
    sys.exit(main())
