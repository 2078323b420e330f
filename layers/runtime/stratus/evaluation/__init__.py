"""NLU evaluation as `rasa test nlu` does it: reports, errors, plots; no model code here.

The evaluators take gold examples and Rasa-shaped parse results, so the same code scores
Stratus models, Rasa models (in the benchmark) and cross-validation folds.
"""

from stratus.evaluation.evaluator import NluEvaluation, evaluate_data, evaluate_nlu
from stratus.evaluation.metrics import ClassificationScores, classification_report
from stratus.evaluation.writer import summary_table, write_results

__all__ = [
    "ClassificationScores",
    "NluEvaluation",
    "classification_report",
    "evaluate_data",
    "evaluate_nlu",
    "summary_table",
    "write_results",
]
