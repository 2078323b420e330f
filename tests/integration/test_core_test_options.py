"""`stratus test core --max-stories` and `--url`, as Rasa's, on the initial project."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.cli import init
from stratus.cli.main import main

MEMO = (
    "language: en\nassistant_id: a\npolicies:\n  - name: MemoizationPolicy\n  - name: RulePolicy\n"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bot")
    init.create_initial_project(root)
    (root / "config.yml").write_text(MEMO)  # dialogue policies that need no TensorFlow
    assert main(["train", "core", "--project", str(root), "--out", str(root / "models")]) == 0
    return root


@pytest.fixture
def served(project: Path) -> Iterator[str]:
    """The project's tests/ folder over HTTP on loopback."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(project / "tests")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_max_stories_tests_the_first_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["test", "core", "--project", str(project), "--out", str(project / "r")]
    assert main([*argv, "--max-stories", "3"]) == 0
    assert "Evaluated 3 stories" in capsys.readouterr().out
    assert main([*argv, "--max-stories", "0"]) == 1


def test_url_tests_the_stories_it_serves(
    project: Path, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["test", "core", "--project", str(project), "--out", str(project / "r")]
    assert main([*argv, "--url", f"{served}/test_stories.yml"]) == 0
    assert "Conversations: 7 / 7 correct" in capsys.readouterr().out
    assert main([*argv, "--url", f"{served}/missing.yml"]) == 1
    assert "Could not download the test stories" in capsys.readouterr().err
