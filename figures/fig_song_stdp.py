"""Song, Miller & Abbott (2000): additive STDP makes the weights bimodal and the output rate steady.

Every panel is a run of the shipped ``stdp_song2000`` protocol (one conductance LIF neuron,
1000 excitatory Poisson afferents through additive STDP bounded in [0, g_max], 200 fixed
inhibitory ones at 10 Hz; 1000 s simulated, seed 0), with only the input rate or the input
correlation changed by ``--set``:

A. the excitatory weights after learning at 10 Hz: the fractions within 10% of each bound;
B. how the distribution splits: the fractions near 0, near g_max and in between, over time;
C. the output rate against the input rate (10, 20, 40 Hz), over the first 2 s (the initial,
   uniform weights: the plasticity has not yet moved them by more than a few percent) and over the
   last 20 s (after learning), with the fraction of weights near g_max at each rate;
D. afferents 0-499 correlated (``inputs.group_a.correlation = 0.2``, the multiple interaction
   process: a shared mother train), 500-999 independent, both at 10 Hz: the mean weight of each
   group over time;
E. the same run's final weights, afferent by afferent.

Runs are cached in ``figures/cache/`` (``--fresh`` reruns them). Writes
``figures/out/fig_song_stdp.png`` and prints the measures.

Usage::

    python figures/fig_song_stdp.py          # about 30 minutes on 2 cores the first time
"""

from __future__ import annotations

import argparse
import pathlib
import tomllib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.analysis import spike_recordings
from bioplastic.plotting import save_figure
from bioplastic.plotting.style import bioplastic_style
from bioplastic.runs import read_npz

from _runs import cached_run

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent / "protocols" / "stdp_song2000.toml"
INPUT_RATES_HZ = (10.0, 20.0, 40.0)
CORRELATION = 0.2
EARLY_S, LATE_S = 2.0, 20.0        # windows of the output rate: the first and the last seconds of the run
NEAR = 0.1                         # "at a bound": within 10% of the range g_max of it


def rate_overrides(rate_hz: float) -> list[str]:
    return [f"inputs.group_a.rate_hz={rate_hz:g}", f"inputs.group_b.rate_hz={rate_hz:g}"]


def near_bounds(weights: np.ndarray, g_max: float) -> tuple[float, float]:
    """Fractions of ``weights`` within ``NEAR * g_max`` of 0 and of ``g_max``."""
    return float(np.mean(weights < NEAR * g_max)), float(np.mean(weights > (1 - NEAR) * g_max))


def load(run_dir: pathlib.Path) -> dict:
    """The weights over time (rows, afferents), the final weights, the output spike times (s) and the run's length (s)."""
    protocol = tomllib.loads((run_dir / "protocol.toml").read_text())
    dt_ms = protocol["simulation"]["dt_ms"]
    recordings = spike_recordings(read_npz(run_dir / "recordings.npz"))
    stride = protocol["recordings"]["weights"]["stride"]
    return {
        "weights": np.asarray(recordings["weights"])[:, :, 0],
        "times_s": (np.arange(len(recordings["weights"])) + 1) * stride * dt_ms / 1000.0,
        "final": np.asarray(read_npz(run_dir / "weights.npz")["excitatory.weights"])[:, 0],
        "spikes_s": np.asarray(recordings["output"].steps) * dt_ms / 1000.0,
        "duration_s": protocol["simulation"]["duration_ms"] / 1000.0,
        "g_max": protocol["model"]["projections"]["excitatory"]["plasticity"]["params"]["w_max"],
    }


def rate_hz(run: dict, start_s: float, stop_s: float) -> float:
    spikes = run["spikes_s"]
    return float(np.sum((spikes >= start_s) & (spikes < stop_s)) / (stop_s - start_s))


def compute(fresh: bool) -> dict:
    runs = {rate: load(cached_run("fig_song_stdp", PROTOCOL, fresh, rate_overrides(rate))) for rate in INPUT_RATES_HZ}
    correlated = load(cached_run("fig_song_stdp", PROTOCOL, fresh, [f"inputs.group_a.correlation={CORRELATION:g}"]))
    return {"runs": runs, "correlated": correlated}


def draw(data: dict) -> Figure:
    runs, correlated = data["runs"], data["correlated"]
    base = runs[10.0]
    g_max = base["g_max"]
    fig = Figure(figsize=(17.0, 7.0), layout="constrained")
    grid = fig.add_gridspec(2, 6)
    ax = fig.add_subplot(grid[0, 0:2])
    low, high = near_bounds(base["final"], g_max)
    ax.hist(base["final"] / g_max, bins=40, range=(0, 1), color="C0")
    ax.set(xlabel="weight (fraction of g_max)", ylabel="afferents (count)",
           title=f"A  weights after {base['duration_s']:g} s at 10 Hz")
    ax.text(0.5, 0.95, f"{100 * low:.0f}% within 10% of 0\n{100 * high:.0f}% within 10% of g_max",
            transform=ax.transAxes, ha="center", va="top", fontsize="small")

    ax = fig.add_subplot(grid[0, 2:4])
    fractions = np.array([near_bounds(w, g_max) for w in base["weights"]])
    ax.plot(base["times_s"], 100 * fractions[:, 0], label="near 0", color="C0")
    ax.plot(base["times_s"], 100 * fractions[:, 1], label="near g_max", color="C3")
    ax.plot(base["times_s"], 100 * (1 - fractions.sum(axis=1)), label="in between", color="0.5")
    ax.set(xlabel="time (s)", ylabel="afferents (%)", title="B  the distribution splits (10 Hz)", ylim=(0, 100))
    ax.legend(fontsize="small")

    ax = fig.add_subplot(grid[0, 4:6])
    rates = np.array(INPUT_RATES_HZ)
    early = [rate_hz(runs[r], 0.0, EARLY_S) for r in rates]
    late = [rate_hz(runs[r], runs[r]["duration_s"] - LATE_S, runs[r]["duration_s"]) for r in rates]
    ax.plot(rates, early, "o--", color="0.5", label=f"first {EARLY_S:g} s (initial weights)")
    ax.plot(rates, late, "o-", color="C0", label=f"last {LATE_S:g} s (after learning)")
    for r, y in zip(rates, late):
        ax.annotate(f"{100 * near_bounds(runs[r]['final'], g_max)[1]:.0f}% at g_max", (r, y), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize="x-small")
    ax.set(xlabel="input rate (Hz)", ylabel="output rate (Hz)", title="C  output rate against input rate")
    ax.legend(fontsize="small")

    ax = fig.add_subplot(grid[1, 0:3])
    for group, chosen, color in (("correlated (0-499)", slice(0, 500), "C3"), ("independent (500-999)", slice(500, 1000), "C0")):
        ax.plot(correlated["times_s"], correlated["weights"][:, chosen].mean(axis=1) / g_max, color=color, label=group)
    ax.set(xlabel="time (s)", ylabel="mean weight (fraction of g_max)", ylim=(0, 1),
           title=f"D  a correlated group (c = {CORRELATION:g}) wins the competition")
    ax.legend(fontsize="small")

    ax = fig.add_subplot(grid[1, 3:6])
    ax.plot(np.arange(1000), correlated["final"] / g_max, ".", markersize=2, color="0.2")
    ax.axvline(499.5, color="0.6", linewidth=0.8)
    ax.set(xlabel="afferent (index)", ylabel="weight (fraction of g_max)",
           title="E  final weights of the correlated run")
    return fig


def main(argv=None) -> pathlib.Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rerun the simulations instead of using the cache")
    args = parser.parse_args(argv)
    data = compute(args.fresh)
    with bioplastic_style():
        path = save_figure(draw(data), HERE / "out" / "fig_song_stdp.png")
    print(f"wrote {path}")
    g_max = data["runs"][10.0]["g_max"]
    for rate, run in data["runs"].items():
        low, high = near_bounds(run["final"], g_max)
        print(f"  input {rate:g} Hz: {100 * low:.1f}% of weights within 10% of 0, {100 * high:.1f}% within 10% of g_max; "
              f"output {rate_hz(run, 0.0, EARLY_S):.1f} Hz in the first {EARLY_S:g} s, "
              f"{rate_hz(run, run['duration_s'] - LATE_S, run['duration_s']):.1f} Hz in the last {LATE_S:g} s")
    final = data["correlated"]["final"] / g_max
    print(f"  correlated group (c = {CORRELATION:g}): mean final weight {final[:500].mean():.3f} g_max "
          f"({100 * np.mean(final[:500] > 1 - NEAR):.0f}% at g_max); independent group {final[500:].mean():.3f} g_max "
          f"({100 * np.mean(final[500:] > 1 - NEAR):.0f}% at g_max)")
    return path


if __name__ == "__main__":
    main()
