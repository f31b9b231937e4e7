"""Predictions of "what" and "when": readouts aligned to cue onset, and errors across a switch.

- :func:`aligned_predictions` -- the mean prediction (``z_what * z_when``) of each cue's
  trials in a range, against time from cue onset (ms), with the true latencies marked;
- :func:`switch_errors` -- the prediction error per trial of several learners, as a
  running mean, with the switch marked.

Example
-------
>>> import numpy as np
>>> from bioplastic.plotting.prediction import aligned_predictions
>>> readouts = np.ones((4, 100, 2)) * 0.5
>>> ax = aligned_predictions(readouts, cue=[0, 1, 0, 1], trials=range(4), cue_names=["A", "B"])
>>> [line.get_label() for line in ax.lines], float(ax.lines[0].get_ydata()[0])
(['A', 'B'], 0.25)
"""

from __future__ import annotations

import numpy as np

from bioplastic._checks import BadInput
from bioplastic.analysis.prediction import running_mean
from bioplastic.plotting.names import readable_name
from bioplastic.plotting.style import STYLE, add_legend, label_axes, new_axes


#: The y label of each readout :func:`aligned_predictions` draws.
READOUT_LABELS: dict = {"prediction": "prediction z_what x z_when (unitless)",
                        "when": "when readout z_when (unitless)", "what": "what readout z_what (unitless)"}


def aligned_predictions(readouts, cue, trials, cue_names, latencies_ms=None, ax=None, which="prediction"):
    """Draw the mean of each cue's trials (among ``trials``) against time from cue onset.

    Parameters
    ----------
    readouts : array (n_trials, window, 2)
        ``[when, what]`` per trial and ms.
    cue : array (n_trials,)
        Cue index of each trial.
    trials : iterable of int
        The trials to average.
    cue_names : list of str
        Legend label of each cue index.
    latencies_ms : list of float, optional
        True latency per cue, marked by a dotted line in the cue's colour.
    ax : Axes, optional
    which : {"prediction", "when", "what"}
        The product, or one of the two readouts.

    Returns
    -------
    Axes

    Example
    -------
    Two cues' mean ``when`` readout, each with its true latency (a vertical line):

    >>> readouts = np.full((4, 100, 2), 0.5)
    >>> ax = aligned_predictions(readouts, cue=[0, 1, 0, 1], trials=range(4), cue_names=["A", "B"],
    ...                          latencies_ms=[30.0, 60.0], which="when")
    >>> len(ax.lines), [float(x) for x in ax.lines[1].get_xdata()], ax.get_ylabel()
    (4, [30.0, 30.0], 'when readout z_when (unitless)')
    """
    readouts, cue = np.asarray(readouts, np.float64), np.asarray(cue)
    if readouts.ndim != 3 or readouts.shape[2] != 2:
        raise BadInput("readouts", f"shape {readouts.shape}", "(n_trials, window, 2)")
    channel = {"prediction": readouts[..., 0] * readouts[..., 1], "when": readouts[..., 0], "what": readouts[..., 1]}
    if which not in channel:
        raise BadInput("which", f"{which!r}", "prediction, when, what")
    trials = np.asarray(list(trials), int)
    _, ax = new_axes(ax)
    time_ms = np.arange(readouts.shape[1])
    for index, name in enumerate(cue_names):
        chosen = trials[cue[trials] == index]
        if chosen.size == 0:
            continue
        line, = ax.plot(time_ms, channel[which][chosen].mean(axis=0), label=name, linewidth=STYLE["lines.linewidth"])
        if latencies_ms is not None:
            ax.axvline(latencies_ms[index], color=line.get_color(), linestyle=":", linewidth=1.0)
    label_axes(ax, "time from cue onset (ms)", READOUT_LABELS[which])
    add_legend(ax)
    return ax


def switch_errors(errors, switch_trial=None, running=10, ax=None):
    """Draw each learner's error per trial as a running mean over ``running`` trials.

    ``errors`` maps a learner's name to its error per trial; the switch, when given, is a
    dashed vertical line.

    Parameters
    ----------
    errors : dict of str to array (n_trials,)
        Prediction error per trial of each learner (a sum of mean squared differences of
        dimensionless readouts); the learner's name, in words, is its label.
    switch_trial : int, optional
        Trial of the switch.
    running : int
        Trials per running mean; point ``k`` is plotted at trial ``k + running``.
    ax : Axes, optional

    Returns
    -------
    Axes

    Example
    -------
    >>> ax = switch_errors({"force": np.ones(30), "three_factor": np.zeros(30)}, switch_trial=15, running=10)
    >>> [line.get_label() for line in ax.lines], len(ax.lines[0].get_xdata())     # 30 - 10 + 1 means
    (['FORCE', 'Three-factor', 'switch'], 21)
    """
    _, ax = new_axes(ax)
    for name, values in errors.items():
        ax.plot(np.arange(running, len(values) + 1), running_mean(values, running), label=readable_name(name),
                linewidth=STYLE["lines.linewidth"])
    if switch_trial is not None:
        ax.axvline(switch_trial, color="0.4", linestyle="--", linewidth=1.0, label="switch")
    label_axes(ax, "trial (number)", f"prediction error (unitless, mean of {running} trials)")
    add_legend(ax)
    return ax
