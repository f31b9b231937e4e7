"""BCM selectivity: four rate units become selective to one of four input patterns.

The run is ``protocols/bcm_selectivity.toml`` (``bioplastic.run_protocol``, as ``bioplastic
run``): BCM with Intrator & Cooper's (1992) sliding threshold ``theta = <y^2>`` on a dense
projection from 8 input rate units, which show one of 4 overlapping patterns for every
20 ms, to 4 rectified output units.

A. Bienenstock et al.'s (1982) selectivity index ``1 - mean_k r_k / max_k r_k`` of each unit
   over time; ``r_k = relu(w . x_k)`` is the response to pattern ``k`` computed from the
   recorded weights; dotted: a unit that answers one pattern of 4 (``1 - 1/4``).
B. Each unit's responses to the four patterns over time; dotted: ``1 / p = 4``, the response
   to the preferred pattern at Intrator & Cooper's selective fixed point (``y = theta = E[y^2]``
   with the pattern shown with probability ``p = 1/4``).
C. One unit's threshold ``theta`` and the running mean of ``y^2`` over the preceding
   ``2 tau_theta``, over the whole run.
D. ``theta`` against that running mean for every unit, at every 100th step after the first
   ``5 tau_theta``; the diagonal is equality.
E. One unit's response and threshold in the last second: 20 ms presentations, the preferred
   pattern answered with ``y`` near ``theta``, the others with 0.

``theta`` is the rule's own state, recorded by the protocol (``variable = "rule.theta"``);
the running mean is computed from the recorded output rates by a boxcar, independently of
the rule.

The run is cached (``figures/cache/runs/``); ``--fresh`` reruns, ``--toy`` runs a few seconds'
version that only checks the figure draws. Writes ``figures/out/fig_bcm.png`` and prints the
final selectivity, the preferred responses against ``1/p``, and ``theta`` against ``<y^2>``.

Usage::

    python figures/fig_bcm.py          # about 15 s on 2 cores the first time, then 5 s
"""

from __future__ import annotations

import pathlib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.experiments import load_protocol
from bioplastic.runs import read_npz

from _runs import protocol_figure

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent / "protocols" / "bcm_selectivity.toml"
TOY = ["simulation.duration_ms=4000", "simulation.chunk_ms=2000", "recordings.weights.stride=100"]
SCATTER_STRIDE = 100          # steps between the points of panel D
PATTERN_COLORS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7")


def load(run_dir: pathlib.Path) -> dict:
    """The run's patterns, responses, thresholds and running <y^2>, as arrays (time in s)."""
    protocol, _ = load_protocol(run_dir / "protocol.toml")
    dt = protocol.simulation.dt_ms
    source = protocol.inputs["patterns"]
    patterns = np.asarray(source.patterns) * source.current                 # (K, n_inputs) as the inputs show them
    projection = protocol.model.projections["afferents"]
    params = projection.plasticity.params
    recordings = read_npz(run_dir / "recordings.npz")
    weights = recordings["weights"]                                        # (rows, n_inputs, n_out): dense out-lists
    stride = protocol.recordings["weights"].stride
    responses = np.maximum(np.einsum("kn,tnj->tjk", patterns, weights), 0.0)   # (rows, unit, pattern)
    y = recordings["responses"]                                            # (steps, n_out)

    theta = recordings["theta"]                                            # (steps, n_out): the rule's state
    tau_steps = round(params.get("tau_theta_ms", 100.0) / dt)
    window = 2 * tau_steps
    cumulative = np.concatenate([np.zeros((1, y.shape[1])), np.cumsum(np.asarray(y, np.float64) ** 2, axis=0)])
    steps = np.arange(1, len(y) + 1)
    start = np.maximum(steps - window, 0)
    running = (cumulative[steps] - cumulative[start]) / (steps - start)[:, None]   # mean y^2 over the last window
    shown = np.asarray(recordings["shown"])                                 # the last step of every presentation
    presentation = round(protocol.recordings["shown"].stride)
    shown_index = np.argmin(((shown[:, None, :] - patterns[None]) ** 2).sum(axis=-1), axis=1)
    return {
        "dt_ms": dt, "patterns": patterns, "responses": responses, "shown": shown_index,
        "presentation_steps": presentation,
        "weight_times_s": (np.arange(len(weights)) + 1) * stride * dt / 1000.0,
        "y": np.asarray(y), "theta": np.asarray(theta), "running": running, "tau_steps": tau_steps,
        "window_steps": window, "times_s": steps * dt / 1000.0,
    }


def selectivity(responses: np.ndarray) -> np.ndarray:
    """Bienenstock et al.'s index ``1 - mean / max`` over the last axis (patterns); 0 where every response is 0."""
    top = responses.max(axis=-1)
    return np.where(top > 0, 1.0 - responses.mean(axis=-1) / np.where(top > 0, top, 1.0), 0.0)


def draw(data: dict) -> Figure:
    responses, times = data["responses"], data["weight_times_s"]
    n_units, n_patterns = responses.shape[1], responses.shape[2]
    fig = Figure(figsize=(13.0, 7.0), layout="constrained")
    mosaic = [["A", "A", "C", "C", "D", "D"], [f"B{j}" for j in range(n_units)] + ["E"] * (6 - n_units)] \
        if n_units <= 5 else None
    axes = fig.subplot_mosaic(mosaic)

    ax = axes["A"]
    index = selectivity(responses)
    for j in range(n_units):
        ax.plot(times, index[:, j], label=f"unit {j}")
    ax.axhline(1 - 1 / n_patterns, color="k", linestyle=":", linewidth=0.8)
    ax.set(xlabel="time (s)", ylabel="selectivity 1 - mean / max (unitless)", ylim=(0, 1), title="A. selectivity index")
    ax.legend(loc="lower right")

    top = max(float(responses.max()), n_patterns) * 1.1
    for j in range(n_units):
        ax = axes[f"B{j}"]
        for k in range(n_patterns):
            ax.plot(times, responses[:, j, k], color=PATTERN_COLORS[k % len(PATTERN_COLORS)], label=f"pattern {k}")
        ax.axhline(n_patterns, color="k", linestyle=":", linewidth=0.8)
        ax.set(xlabel="time (s)", ylim=(0, top), title=f"B. unit {j}")
        if j == 0:
            ax.set_ylabel("response to pattern k, relu(w . x_k) (unitless)")
            ax.legend(loc="center right")

    ax = axes["C"]
    unit = 0
    thin = max(1, len(data["times_s"]) // 4000)
    ax.plot(data["times_s"][::thin], data["theta"][::thin, unit], label="theta", linewidth=1.2)
    ax.plot(data["times_s"][::thin], data["running"][::thin, unit], label=f"<y^2> over the last "
            f"{data['window_steps'] * data['dt_ms'] / 1000:g} s", linewidth=0.8)
    ax.set(xlabel="time (s)", ylabel="threshold theta, <y^2> (unitless)",
           title=f"C. unit {unit}: theta and running <y^2>")
    ax.legend(loc="lower right")

    ax = axes["E"]
    unit, last = 0, round(1000.0 / data["dt_ms"])                      # unit 0's last second
    seconds = data["times_s"][-last:]
    ax.step(seconds, data["y"][-last:, unit], where="post", label="y (response)")
    ax.plot(seconds, data["theta"][-last:, unit], label="theta")
    ax.set(xlabel="time (s)", ylabel="y, theta (unitless)", title=f"E. unit {unit}, the last second")
    ax.legend(loc="upper right")

    ax = axes["D"]
    begin = 5 * data["tau_steps"]
    picks = slice(begin, None, SCATTER_STRIDE)
    for j in range(n_units):
        ax.plot(data["running"][picks, j], data["theta"][picks, j], ".", markersize=1.5, alpha=0.5, label=f"unit {j}")
    high = float(max(data["theta"][begin:].max(initial=0.0), data["running"][begin:].max(initial=0.0))) * 1.05 or 1.0
    ax.plot([0, high], [0, high], color="k", linewidth=0.8)
    ax.set(xlabel="running <y^2> (unitless)", ylabel="theta (unitless)", xlim=(0, high), ylim=(0, high),
           title="D. theta against <y^2>")
    return fig


def summary(data: dict) -> list:
    """The headline numbers, as printed lines."""
    responses = data["responses"]
    final = responses[-1]
    n_patterns = responses.shape[2]
    lines = []
    index = selectivity(responses)
    lines.append(f"final selectivity per unit: {np.round(index[-1], 3).tolist()} "
                 f"(one pattern of {n_patterns}: {1 - 1 / n_patterns:.3f}); "
                 f"first recorded: {np.round(index[0], 3).tolist()}")
    lines.append(f"final preferred pattern per unit: {final.argmax(axis=1).tolist()}, response "
                 f"{np.round(final.max(axis=1), 3).tolist()} (1/p = {n_patterns}), largest other response "
                 f"{np.round(np.sort(final, axis=1)[:, -2], 3).tolist()}")
    # Fixed point along the preferred pattern: no change on average needs y = theta averaged over the
    # steps that show it (after the first, which still answers the previous pattern).
    steps = data["presentation_steps"]
    half = len(data["theta"]) // 2
    preferred = final.argmax(axis=1)
    during = []
    for j, k in enumerate(preferred):
        blocks = np.flatnonzero(data["shown"] == k)
        blocks = blocks[blocks * steps >= half]
        rows = (blocks[:, None] * steps + np.arange(1, steps)[None]).ravel()
        rows = rows[rows < len(data["theta"])]
        during.append((float(data["y"][rows, j].mean()), float(data["theta"][rows, j].mean())))
    lines.append("second half, while the preferred pattern is shown: mean response " +
                 str([round(a, 3) for a, _ in during]) + ", mean theta " + str([round(b, 3) for _, b in during]) +
                 "; frequency of each pattern "
                 f"{np.round(np.bincount(data['shown'], minlength=n_patterns) / len(data['shown']), 4).tolist()}")
    theta, running, y = (np.asarray(data[name][half:], np.float64) for name in ("theta", "running", "y"))
    lines.append(f"second half: mean theta {np.round(theta.mean(axis=0), 3).tolist()}, mean y^2 "
                 f"{np.round((y ** 2).mean(axis=0), 3).tolist()}; theta against the running <y^2>: mean |difference| "
                 f"{np.round(np.abs(theta - running).mean(axis=0), 3).tolist()}, relative "
                 f"{np.round(np.abs(theta - running).mean(axis=0) / running.mean(axis=0), 3).tolist()}")
    return lines


def main(argv=None):
    return protocol_figure("fig_bcm", __doc__.split("\n")[0], PROTOCOL, load, draw, summary, TOY, argv)


if __name__ == "__main__":
    main()
