"""Rasa's test_moodbot fixture copied into a folder, with a config that trains a usable
model: the fixture's own config trains one epoch, eagerly."""

from __future__ import annotations

import shutil
from pathlib import Path

TEST_MOODBOT = (
    Path(__file__).resolve().parents[2].parent / "shared" / "rasa-fixtures" / "test_moodbot"
)


def copy_test_moodbot(root: Path, epochs: int, random_seed: int = 1) -> Path:
    """Copy test_moodbot into `root`; DIET and TED train `epochs` epochs from
    `random_seed`. Unseeded, 20 epochs sometimes left "hi" with `greet` 0.35 against
    `affirm` 0.18, or called "super sad" `bot_challenge`: a conversation test then
    fails once in a few runs. Seeded, the same machine trains the same model."""
    shutil.copytree(TEST_MOODBOT, root, dirs_exist_ok=True)
    config = (root / "config.yml").read_text()
    assert config.count("    epochs: 1\n") == 2, "test_moodbot's config.yml changed"
    config = config.replace("    run_eagerly: True\n", "")
    trained = f"    epochs: {epochs}\n    random_seed: {random_seed}\n"
    (root / "config.yml").write_text(config.replace("    epochs: 1\n", trained))
    return root
