"""Confusion matrices and confidence histograms as PNG (matplotlib imported only here, lazily)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# Writing one number per cell stops being readable (and gets slow) beyond this many labels.
MAX_ANNOTATED_LABELS = 40
HIT_COLOR, MISS_COLOR = "#009292", "#920000"  # Rasa's dark cyan and dark red


def plotting_available() -> bool:
    """matplotlib ships with the `train` extra, not with the serving layer."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot_confusion_matrix(
    confusion: np.ndarray, labels: Sequence[str], title: str, out: Path
) -> None:
    """Log-scaled confusion matrix, true labels as rows, as Rasa draws it."""
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    n = len(labels)
    size = min(max(6.0, 0.35 * n), 40.0)
    fig = Figure(figsize=(size, size))
    ax = fig.add_subplot()
    zmax = max(int(confusion.max()) if confusion.size else 1, 2)
    image = ax.imshow(
        confusion,
        interpolation="nearest",
        cmap="Blues",
        aspect="auto",
        norm=LogNorm(vmin=1, vmax=zmax),
    )
    fig.colorbar(image, ax=ax)
    ax.set_title(title)
    ticks = np.arange(n)
    ax.set_xticks(ticks, [str(label) for label in labels], rotation=90)
    ax.set_yticks(ticks, [str(label) for label in labels])
    if n <= MAX_ANNOTATED_LABELS:
        threshold = zmax / 2.0
        for i in range(n):
            for j in range(n):
                value = int(confusion[i, j])
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    color="white" if value > threshold else "black",
                    fontsize=8 if n <= 20 else 6,
                )
    ax.set_ylabel("True label")
    ax.set_xlabel("Predicted label")
    fig.savefig(out, bbox_inches="tight")


def plot_paired_histogram(
    hits: Sequence[float], misses: Sequence[float], title: str, out: Path, bins: int = 25
) -> None:
    """Confidences of correct (left) and wrong (right) predictions, back to back."""
    from matplotlib.figure import Figure

    edges = np.linspace(0.0, 1.0, bins + 1)
    tallies = [np.histogram(np.clip(v, 0, 1), bins=edges)[0] for v in (hits, misses)]
    xmax = max(1, *(int(t.max()) for t in tallies)) * 1.1
    fig = Figure(figsize=(10, 8))
    axes = fig.subplots(ncols=2, sharey=True)
    for side, (tally, color, name) in enumerate(
        zip(tallies, (HIT_COLOR, MISS_COLOR), ("Correct", "Wrong"))
    ):
        axes[side].barh(
            edges[:-1],
            tally,
            height=np.diff(edges),
            align="edge",
            color=color,
            edgecolor="white",
        )
        axes[side].set(title=name, xlim=(0, xmax), ylim=(0, 1))
    axes[0].invert_xaxis()
    axes[0].yaxis.tick_right()
    axes[0].set_xlabel("Number of Samples")
    axes[1].set_xlabel("Number of Samples")
    axes[0].set_ylabel("Confidence")
    fig.suptitle(title, fontsize="x-large", fontweight="bold")
    fig.savefig(out, bbox_inches="tight")


def plot_comparison(
    summary: Mapping[str, Sequence[tuple[float, float]]],
    examples: Sequence[int],
    out: Path,
    x_label: str = "Number of intent examples present during training",
    y_label: str = "Label-weighted average F1 score on test set",
) -> None:
    """Rasa's `nlu_model_comparison_graph.pdf` (and `core_model_comparison_graph.pdf`):
    each config's score (mean over the runs, a band of one standard deviation) against
    the training data it had."""
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    for name, points in summary.items():
        mean = [m for m, _ in points]
        ax.plot(examples, mean, label=name, marker=".")
        ax.fill_between(
            examples,
            [m - s for m, s in points],
            [m + s for m, s in points],
            color="#6b2def",  # Rasa's
            alpha=0.2,
        )
    ax.legend(loc=4)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    fig.savefig(out, format="pdf")
