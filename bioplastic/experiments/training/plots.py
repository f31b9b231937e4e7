"""The figures of a training protocol."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioplastic.plotting import learning_curves, save_figure
from bioplastic.plotting.style import bioplastic_style


def draw_learning_curves(run_dir, protocol, curves: dict) -> list:
    """Draw every ``learning_curve`` plot of a training protocol: the test score per epoch.

    The score is test accuracy for a classifier, test reconstruction error for an
    autoencoder; a validation loss, where there is one, is not drawn: a dotted vertical line
    marks its lowest epoch.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder; each plot goes to ``run_dir/NAME.png``.
    protocol : TrainingProtocol
        The training protocol; its rule names the curve.
    curves : dict of str -> sequence
        Per-epoch values: the first key starting ``test_`` (``test_accuracy`` or ``test_mse``) is the score, and
        ``validation_loss``, where given, marks its lowest epoch with a dotted line.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.experiments.training.schema import TrainingProtocol
    >>> protocol = TrainingProtocol(name="t", plots={"curve": {"type": "learning_curve"}}, training={
    ...     "dataset": "mnist", "rule": "dual_propagation", "sizes": [784, 10], "learning_rate": 0.001, "epochs": 3})
    >>> run_dir = pathlib.Path(tempfile.mkdtemp())
    >>> written = draw_learning_curves(run_dir, protocol, {"test_accuracy": [0.8, 0.9, 0.92],
    ...                                                    "validation_loss": [0.3, 0.2, 0.25]})
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['curve.png'], b'PNG')
    """
    written = []
    score_name = next(name for name in curves if name.startswith("test_"))
    with bioplastic_style():
        for name, spec in protocol.plots.items():
            fig = Figure(figsize=(6.4, 4.0), layout="constrained")
            ax = fig.add_subplot()
            score = np.asarray(curves[score_name])
            epochs = np.arange(1, len(score) + 1)
            learning_curves({protocol.training.rule: (epochs, score)}, ax=ax, xlabel="epoch",
                            ylabel=score_name.replace("_", " "))
            if "validation_loss" in curves:
                ax.axvline(int(np.argmin(curves["validation_loss"])) + 1, color="0.6", linestyle=":",
                           label="lowest validation loss")
                ax.legend()
            ax.set_title(spec.title or name)
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written
