"""The figures of a training protocol."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioplastic.plotting import learning_curves, save_figure
from bioplastic.plotting.names import quantity_label, readable_name
from bioplastic.plotting.style import bioplastic_style


SCORE_LABELS = {"test_accuracy": "test accuracy (fraction)",
                "test_mse": "test reconstruction error (mean squared, per pixel)"}
LOSS_LABELS = {"test_accuracy": "loss (cross-entropy, nats per example)",
               "test_mse": "loss (reconstruction error, mean squared)"}


def draw_learning_curves(run_dir, protocol, curves: dict) -> list:
    """Draw every ``learning_curve`` plot of a training protocol: the test score and the losses per epoch.

    The left panel is the test score -- accuracy for a classifier, reconstruction error for
    an autoencoder; the right one, where the curves hold a training loss, the training loss
    and the validation loss (where there is one). A dotted vertical line marks the epoch of
    the lowest validation loss, the one ``selected_*`` metrics report. Every epoch is a
    marked point on an integer tick, so a one-epoch run shows one point.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder; each plot goes to ``run_dir/NAME.png``.
    protocol : TrainingProtocol
        The training protocol; its rule names the curve.
    curves : dict of str -> sequence
        Per-epoch values: the first key starting ``test_`` (``test_accuracy`` or ``test_mse``) is the score;
        ``training_loss`` and ``validation_loss`` where given.

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
    ...     "training_loss": [0.5, 0.3, 0.2], "validation_loss": [0.3, 0.2, 0.25]})
    >>> [path.name for path in written], written[0].read_bytes()[1:4]
    (['curve.png'], b'PNG')
    """
    return [save_figure(learning_curve_figure(protocol, curves, spec.title or readable_name(name)),
                        run_dir / f"{name}.png") for name, spec in protocol.plots.items()]


def learning_curve_figure(protocol, curves: dict, title: str) -> Figure:
    """The figure of :func:`draw_learning_curves`: score per epoch, and losses per epoch beside it.

    Example
    -------
    >>> from bioplastic.experiments.training.schema import TrainingProtocol
    >>> protocol = TrainingProtocol(name="t", training={
    ...     "dataset": "mnist", "rule": "backprop", "sizes": [784, 10], "learning_rate": 0.001, "epochs": 1})
    >>> fig = learning_curve_figure(protocol, {"test_accuracy": [0.91], "training_loss": [0.4]}, "One epoch")
    >>> score, losses = fig.axes
    >>> score.lines[0].get_xydata().tolist(), score.lines[0].get_marker(), score.get_ylabel()
    ([[1.0, 0.91]], 'o', 'test accuracy (fraction)')
    >>> [line.get_label() for line in losses.lines], losses.get_ylabel()
    (['training'], 'loss (cross-entropy, nats per example)')
    """
    score_name = next(name for name in curves if name.startswith("test_"))
    losses = {label: np.asarray(curves[key]) for key, label in (("training_loss", "training"),
                                                                ("validation_loss", "validation")) if key in curves}
    with bioplastic_style():
        fig = Figure(figsize=(10.0 if "training" in losses else 6.4, 4.0), layout="constrained")
        panels = fig.subplots(1, 2) if "training" in losses else [fig.add_subplot()]
        learning_curves({readable_name(protocol.training.rule): np.asarray(curves[score_name])}, ax=panels[0],
                        xlabel="epoch (number)", ylabel=SCORE_LABELS.get(score_name, quantity_label(score_name)))
        if "training" in losses:
            learning_curves(losses, ax=panels[1], xlabel="epoch (number)", ylabel=LOSS_LABELS[score_name])
        if "validation" in losses:
            selected = int(np.argmin(losses["validation"])) + 1
            for ax in panels:
                ax.axvline(selected, color="0.6", linestyle=":", label="lowest validation loss")
                ax.legend()
        fig.suptitle(title)
    return fig
