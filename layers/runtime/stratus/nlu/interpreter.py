"""Interpreter: text in, Rasa's parse result out, from a trained model directory.

Loads with onnxruntime only (never TensorFlow). `parse_batch` runs the network once per
batch of similar-length messages, which is what `stratus test nlu` and benchmarks want.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stratus.model.manifest import Manifest, read_manifest, verify_files
from stratus.model.storage import resolve_model_dir
from stratus.nlu.component import Component
from stratus.nlu.message import Message
from stratus.nlu.pipeline import NLU_DIR, PipelineMeta, load_components, read_pipeline_meta
from stratus.nlu.regex_message import parse_intent_message
from stratus.nlu.tokenizers import Tokenizer
from stratus.shared.exceptions import IncompatibleModelError

logger = logging.getLogger(__name__)

# Characters looked at per token of the limit: a guard against megabyte-long messages
# reaching the tokenizer at all; the token limit below is the real cut.
_CHARS_PER_TOKEN = 64


class Interpreter:
    """A loaded NLU pipeline."""

    def __init__(
        self,
        components: list[Component],
        meta: PipelineMeta,
        manifest: Manifest | None = None,
        model_dir: Path | None = None,
    ) -> None:
        self.components = components
        self.meta = meta
        self.manifest = manifest
        self.model_dir = model_dir
        self._tokenizer = next((c for c in components if isinstance(c, Tokenizer)), None)
        self._rest = [c for c in components if c is not self._tokenizer]
        self._intents = set(meta.intents)
        self._entities = set(meta.entities)

    @classmethod
    def load(
        cls, model: str | Path, verify: bool = False, duckling_url: str | None = None
    ) -> Interpreter:
        """Load a model directory, or the newest model in a folder of models;
        `duckling_url` overrides the Duckling server of a DucklingEntityExtractor."""
        model_dir = resolve_model_dir(model)
        manifest = read_manifest(model_dir)
        if verify:
            wrong = verify_files(model_dir, manifest)
            if wrong:
                raise IncompatibleModelError(
                    f"{model_dir} does not match its manifest (changed or missing: "
                    f"{', '.join(wrong[:5])})"
                )
        return cls.from_nlu_dir(model_dir / NLU_DIR, manifest, model_dir, duckling_url)

    @classmethod
    def from_nlu_dir(
        cls,
        nlu_dir: Path,
        manifest: Manifest | None = None,
        model_dir: Path | None = None,
        duckling_url: str | None = None,
    ) -> Interpreter:
        if not nlu_dir.is_dir():
            raise IncompatibleModelError(f"{nlu_dir.parent} has no NLU part; train with NLU data.")
        meta = read_pipeline_meta(nlu_dir)
        return cls(load_components(nlu_dir, meta, duckling_url), meta, manifest, model_dir)

    @property
    def model_id(self) -> str | None:
        return self.manifest.model_id if self.manifest else None

    @property
    def intents(self) -> list[str]:
        return list(self.meta.intents)

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's `/model/parse` result for one text."""
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: Sequence[str], batch_size: int = 64) -> list[dict[str, Any]]:
        """Parse results in the order of `texts`; the network runs once per batch."""
        results: list[dict[str, Any] | None] = [None] * len(texts)
        pending: list[tuple[int, Message]] = []
        for i, raw in enumerate(texts):
            text = "" if raw is None else str(raw)
            direct = parse_intent_message(text, self._intents, self._entities)
            if direct is not None:
                results[i] = direct
                continue
            pending.append((i, self._prepared(text)))
        # Similar lengths together: less padding for the network.
        pending.sort(key=lambda item: len(item[1].tokens))
        for start in range(0, len(pending), batch_size):
            chunk = pending[start : start + batch_size]
            messages = [m for _, m in chunk]
            for component in self._rest:
                component.process(messages)
            for (i, message), _ in zip(chunk, messages):
                results[i] = message.output(texts[i] if isinstance(texts[i], str) else None)
        return [r if r is not None else {} for r in results]

    def _prepared(self, text: str) -> Message:
        """A tokenized message, cut to the model's maximum length."""
        limit = self.meta.max_tokens
        working = text
        if len(working) > limit * _CHARS_PER_TOKEN:
            working = working[: limit * _CHARS_PER_TOKEN]
        message = Message(working)
        if self._tokenizer is not None:
            self._tokenizer.process([message])
            if len(message.tokens) > limit:
                message.tokens = message.tokens[:limit]
                message.text = working[: message.tokens[-1].end]
        if message.text != text:
            logger.warning(
                "Message of %d characters cut to %d characters (%d tokens, the model's maximum).",
                len(text),
                len(message.text),
                limit,
            )
        return message
