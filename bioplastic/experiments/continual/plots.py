"""The figures of a continual protocol."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bioplastic.plotting import save_figure
from bioplastic.plotting.names import readable_name
from bioplastic.plotting.style import bioplastic_style


def draw_continual_plots(run_dir, protocol, accuracy) -> list:
    """Draw the plots of a continual protocol from its accuracy matrix ``A[i, j]``.

    ``accuracy_matrix``: A as a heat map, rows the training stage, columns the task tested;
    ``task_accuracy``: one line per task, its accuracy as later tasks are learned.
    Accuracies are fractions (shown in %); NaN (a task not yet learned) is left blank.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder; each plot goes to ``run_dir/NAME.png``.
    protocol : ContinualProtocol
        The continual protocol; the default title of a plot is its name and the method, in words
        (``Accuracy matrix (HLOP)``).
    accuracy : array (n_tasks, n_tasks)
        ``A[i, j]``: test accuracy (fraction) on task ``j`` after training task ``i``; NaN where not measured.

    Returns
    -------
    list of pathlib.Path
        The written paths.

    Example
    -------
    >>> import pathlib, tempfile
    >>> from bioplastic.experiments.continual.schema import ContinualProtocol
    >>> protocol = ContinualProtocol(name="c", continual={"dataset": "mnist", "sizes": [784, 10], "learning_rate": 0.1},
    ...                              plots={"matrix": {"type": "accuracy_matrix"}, "tasks": {"type": "task_accuracy"}})
    >>> accuracy = np.array([[0.95, np.nan], [0.80, 0.94]])   # rows: after task 1, 2; columns: task tested
    >>> written = draw_continual_plots(pathlib.Path(tempfile.mkdtemp()), protocol, accuracy)
    >>> sorted(path.name for path in written)
    ['matrix.png', 'tasks.png']
    """
    accuracy = np.asarray(accuracy)
    n = len(accuracy)
    written = []
    with bioplastic_style():
        for name, spec in protocol.plots.items():
            fig = Figure(figsize=(5.6, 4.6) if spec.type == "accuracy_matrix" else (6.4, 4.0), layout="constrained")
            ax = fig.add_subplot()
            if spec.type == "accuracy_matrix":
                image = ax.imshow(accuracy * 100, vmin=0, vmax=100, cmap="viridis")
                for (i, j), value in np.ndenumerate(accuracy):
                    if np.isfinite(value):
                        ax.text(j, i, f"{value * 100:.0f}", ha="center", va="center", fontsize=7,
                                color="white" if value < 0.6 else "black")
                ax.set_xlabel("task tested (number)")
                ax.set_ylabel("after training task (number)")
                ax.set_xticks(range(n), [str(j + 1) for j in range(n)])
                ax.set_yticks(range(n), [str(i + 1) for i in range(n)])
                fig.colorbar(image, ax=ax, label="test accuracy (%)")
            else:
                for j in range(n):
                    seen = np.isfinite(accuracy[:, j])
                    ax.plot(np.arange(1, n + 1)[seen], accuracy[seen, j] * 100, marker="o", label=f"task {j + 1}")
                ax.set_xlabel("tasks learned (count)")
                ax.set_ylabel("test accuracy (%)")
                if n <= 10:
                    ax.legend(fontsize="small", ncols=2)
            ax.set_title(spec.title or f"{readable_name(name)} ({readable_name(protocol.continual.method)})")
            written.append(save_figure(fig, run_dir / f"{name}.png"))
    return written
