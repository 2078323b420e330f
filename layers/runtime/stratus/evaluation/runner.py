"""Running a model over test data, and cross-validation, against small protocols.

The evaluation code does not know how models are trained or loaded: anything with
`parse(text) -> parse result` can be tested, and cross-validation takes a trainer and a
loader. The CLI wires in Stratus' own; the benchmark wires in Rasa's results too.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from stratus.evaluation.evaluator import NluEvaluation, evaluate_data
from stratus.evaluation.folds import drop_rare_intents, stratified_folds, with_examples
from stratus.evaluation.results import EvaluationData, collect_results
from stratus.shared.config import ProjectConfig
from stratus.shared.training_data.message import NluData, NluExample

logger = logging.getLogger(__name__)


class NluParser(Protocol):
    def parse(self, text: str) -> Mapping[str, Any]: ...


class NluTrainer(Protocol):
    def train_nlu(
        self,
        config: ProjectConfig,
        data: NluData,
        out_dir: Path,
        responses: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> Path: ...


ModelLoader = Callable[[Path], NluParser]
Progress = Callable[[str], None]


def parse_examples(parser: NluParser, examples: Sequence[NluExample]) -> list[Mapping[str, Any]]:
    """The parse result of every example's text, in order (batched when the parser can)."""
    texts = [e.text for e in examples]
    parse_batch = getattr(parser, "parse_batch", None)
    if callable(parse_batch):
        return list(parse_batch(texts))
    return [parser.parse(text) for text in texts]


def collect(parser: NluParser, examples: Sequence[NluExample]) -> EvaluationData:
    return collect_results(examples, parse_examples(parser, examples))


def evaluate_model(parser: NluParser, examples: Sequence[NluExample]) -> NluEvaluation:
    """`rasa test nlu` on a trained model."""
    return evaluate_data(collect(parser, examples))


FoldMetrics = dict[str, dict[str, list[float]]]


@dataclass(frozen=True)
class CrossValidation:
    """All test folds scored together, plus each fold's headline numbers."""

    evaluation: NluEvaluation
    folds: int
    # part ("intent", an extractor, "response selection") -> metric -> one value per fold
    fold_metrics: FoldMetrics = field(default_factory=dict)
    examples: int = 0
    dropped: int = 0  # examples of intents with fewer examples than folds

    def summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """part -> metric -> (mean, population std) over the folds, as Rasa logs them."""
        return {
            part: {m: (statistics.fmean(v), statistics.pstdev(v)) for m, v in metrics.items()}
            for part, metrics in self.fold_metrics.items()
        }


def _record(metrics: FoldMetrics, evaluation: NluEvaluation) -> None:
    for part, scores in evaluation.summary_rows():
        metrics[part]["Accuracy"].append(scores.accuracy)
        metrics[part]["F1-score"].append(scores.f1)
        metrics[part]["Precision"].append(scores.precision)


def cross_validate(
    trainer: NluTrainer,
    load: ModelLoader,
    config: ProjectConfig,
    data: NluData,
    n_folds: int,
    workdir: Path,
    seed: int = 0,
    progress: Progress | None = None,
    responses: Mapping[str, list[dict[str, Any]]] | None = None,
) -> CrossValidation:
    """Train on k-1 folds, test on the k-th, for every k; score all test folds together.

    Intents with fewer examples than folds are left out first, as Rasa does. `responses`
    (the retrieval responses, `utter_faq/...`) go into every fold's model, so its
    ResponseSelector answers with them as the project's model does.
    """
    kept = drop_rare_intents(data.examples, n_folds)
    if len({e.full_intent for e in kept}) < 2:
        raise ValueError(
            f"cross-validation with {n_folds} folds needs at least two intents with "
            f"{n_folds} examples or more"
        )
    metrics: FoldMetrics = defaultdict(lambda: defaultdict(list))
    total = EvaluationData()
    for k, (train, test) in enumerate(stratified_folds(kept, n_folds, seed), start=1):
        if progress:
            progress(f"fold {k}/{n_folds}: training on {len(train)}, testing on {len(test)}")
        fold_data = with_examples(data, train)
        model_dir = trainer.train_nlu(config, fold_data, workdir / f"fold_{k}", responses)
        tested = collect(load(model_dir), test)
        _record(metrics, evaluate_data(tested))
        total = total + tested
    return CrossValidation(
        evaluation=evaluate_data(total),
        folds=n_folds,
        fold_metrics={part: dict(m) for part, m in metrics.items()},
        examples=len(kept),
        dropped=len(data.examples) - len(kept),
    )
