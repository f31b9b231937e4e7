"""The figure of the distal-reward experiment (Izhikevich 2007, Fig. 1): one rewarded synapse among all.

:func:`distal_reward_panels` draws, from a run's history (one row per simulated second,
:func:`bioplastic.networks.distal_reward.run_seconds`) and its final weights:

A. the chosen weight over model time against the median, 25-75 % and 5-95 % bands of all
   excitatory weights; red ticks: dopamine releases (rewards);
B. the chosen synapse's rank among the excitatory weights (1 = largest; ties share it);
C. the final distribution of the excitatory weights, the chosen one marked;
D. rewards earned per minute, and the excitatory and inhibitory firing rates (Hz).

Example
-------
>>> import numpy as np
>>> seconds = np.arange(1, 121)
>>> history = {"time_s": seconds, "chosen_weight": seconds / 30.0, "chosen_rank": np.maximum(1, 500 - 4 * seconds),
...            "percentiles": np.tile([0.1, 0.5, 1.0, 1.5, 2.0], (120, 1)), "exc_rate_hz": np.ones(120),
...            "inh_rate_hz": np.full(120, 4.0), "earned_ms": np.array([5000, 70000]), "released_ms": np.array([7000])}
>>> fig = distal_reward_panels(history, np.linspace(0.0, 4.0, 100), w_max=4.0)
>>> [ax.get_title()[:2] for ax in fig.axes[:4]]
['A.', 'B.', 'C.', 'D.']
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def distal_reward_panels(history: dict, final_weights, w_max: float, fig=None) -> Figure:
    """The four panels of the module docstring.

    Parameters
    ----------
    history : dict
        ``time_s`` (s), ``chosen_weight`` (mV), ``chosen_rank``, ``percentiles`` (rows of the
        5th, 25th, 50th, 75th and 95th percentile of the excitatory weights, mV),
        ``exc_rate_hz``, ``inh_rate_hz`` (one value per row), and the steps (ms) of every
        reward earned (``earned_ms``) and every dopamine release (``released_ms``).
    final_weights : array
        Every excitatory weight at the end (mV).
    w_max : float
        The largest excitatory weight (mV).
    fig : matplotlib Figure, optional
        Drawn into (a new 11 x 7.5 inch figure by default).

    Returns
    -------
    Figure
    """
    t_min = np.asarray(history["time_s"], float) / 60.0
    percentiles = np.asarray(history["percentiles"], float)
    chosen_weight, chosen_rank = np.asarray(history["chosen_weight"]), np.asarray(history["chosen_rank"])
    weights = np.asarray(final_weights).ravel()
    fig = fig or Figure(figsize=(11.0, 7.5), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)

    a.fill_between(t_min, percentiles[:, 0], percentiles[:, 4], color="0.85", label="5-95 %")
    a.fill_between(t_min, percentiles[:, 1], percentiles[:, 3], color="0.65", label="25-75 %")
    a.plot(t_min, percentiles[:, 2], color="k", lw=1.0, label="median")
    a.plot(t_min, chosen_weight, color="tab:blue", lw=1.5, label="chosen synapse")
    released = np.asarray(history["released_ms"], float) / 60000.0
    a.plot(released, np.full(len(released), -0.15), "|", color="tab:red", ms=6, label="dopamine release")
    a.set(xlabel="model time (min)", ylabel="weight (mV)", ylim=(-0.3, w_max + 0.2),
          title=f"A. chosen weight vs all {weights.size} excitatory weights")
    a.legend(loc="upper left", fontsize=8)

    b.semilogy(t_min, chosen_rank, color="tab:blue", lw=0.8)
    b.invert_yaxis()
    b.set(xlabel="model time (min)", ylabel=f"synapse rank (of {weights.size:,}, 1 = largest)",
          title="B. rank of the chosen synapse (ties at the top share rank 1)")
    for ax in (a, b):
        if t_min[-1] > 60.0:
            ax.axvline(60.0, color="0.4", ls=":", lw=1.0)          # the paper's hour

    c.hist(weights, bins=np.linspace(0.0, w_max, 81), color="0.5")
    c.set_yscale("log")
    c.axvline(chosen_weight[-1], color="tab:red", lw=1.0)
    at_max = int(np.sum(weights >= w_max))
    c.plot([chosen_weight[-1]], [1.0], "o", color="tab:red",
           label=f"chosen: {chosen_weight[-1]:.2f} mV, rank {chosen_rank[-1]}\n({at_max} synapses at {w_max:g} mV)")
    c.set(xlabel="weight (mV)", ylabel="synapses (count)", title=f"C. excitatory weights at {t_min[-1]:.0f} min")
    c.legend(loc="upper right", fontsize=8)

    minutes = int(np.ceil(t_min[-1]))
    per_minute = np.bincount(np.asarray(history["earned_ms"], int) // 60000, minlength=minutes)[:minutes]
    d.step(np.arange(minutes) + 1.0, per_minute, where="pre", color="tab:red", label="rewards earned / min")
    d.set(xlabel="model time (min)", ylabel="rewards (per minute)", title="D. rewards and firing rates")
    rates = d.twinx()
    for name, color, label in (("exc_rate_hz", "tab:green", "excitatory"), ("inh_rate_hz", "tab:purple", "inhibitory")):
        per_s = np.asarray(history[name], float)
        if per_s.size >= 120:                                        # means over each whole minute
            whole = per_s[: 60 * (per_s.size // 60)]
            rates.plot(np.arange(whole.size // 60) + 0.5, whole.reshape(-1, 60).mean(axis=1), color=color,
                       label=f"{label} rate (Hz)")
        else:                                                        # a short run: every second
            rates.plot(t_min, per_s, color=color, label=f"{label} rate (Hz)")
    rates.set(ylabel=f"firing rate (Hz, mean over each {'minute' if t_min.size >= 120 else 'second'})", ylim=(0.0, None))
    handles = d.get_legend_handles_labels()[0] + rates.get_legend_handles_labels()[0]
    d.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8, ncols=3)
    d.set_ylim(0.0, 1.5 * max(1, per_minute.max(initial=0)))
    return fig
