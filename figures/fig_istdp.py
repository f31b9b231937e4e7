"""Vogels et al. (2011): inhibitory STDP holds a neuron at its target rate and mirrors the excitatory tuning.

Every panel is a run of the shipped ``istdp_vogels2011`` protocol (one conductance LIF neuron,
8 input channels of 100 excitatory + 25 inhibitory Poisson afferents whose rates follow the
channel's own low-pass-filtered noise; fixed excitatory weights tuned to channel 5; inhibitory
weights flat at the start and learnt by iSTDP; 150 s simulated, seed 0), at the protocol's
target rate rho0 = 5 Hz and with ``--set ...target_rate_hz=10``:

A. the output rate (5 s bins) converging to rho0, for both targets;
B. the tuning curves: mean excitatory weight per channel (fixed) and mean inhibitory weight per
   channel at the start and after learning (rho0 = 5 Hz), with their correlation;
C. that correlation over time, for both targets (detailed balance emerges);
D. the balance of currents over time (the paper's Fig. 1B, E): the excitatory and inhibitory
   conductances the channels' rates drive through the weights (rate x weight, filtered by the
   synapses' 5 and 10 ms; without the Poisson noise of single spikes), over 1 s at the start
   (flat, weak inhibition) and the last 1 s (learnt inhibition), with the output spikes: after
   learning inhibition follows excitation in time and the output fires rarely.

The recurrent network of their Fig. 4 is the shipped ``istdp_vogels2011_network`` protocol (8000
excitatory and 2000 inhibitory LIF neurons, connection probability 0.02, iSTDP on the inhibitory ->
excitatory synapses with rho0 = 3 Hz, switched on after 1 s; 120 s, seed 0):

E. 100 excitatory neurons just before plasticity starts (0.8-1 s) and in the last 0.2 s;
F. the excitatory rate (500 neurons recorded) over time, with the irregularity (mean CV of the
   inter-spike intervals) and the synchrony (chi: the s.d. of the population's 5 ms spike counts
   over the mean s.d. of a neuron's, Golomb 2007) in the first second and the last 10 s.

Runs are cached in ``figures/cache/`` (``--fresh`` reruns them). Writes
``figures/out/fig_istdp.png`` and prints the measures.

Usage::

    python figures/fig_istdp.py          # about 15 minutes on 2 shared cores the first time (3 runs: the
                                         # single cell ~2.5 min each, the network ~9 min); seconds after
"""

from __future__ import annotations

import argparse
import pathlib
import tomllib

import numpy as np
import scipy.signal
from matplotlib.figure import Figure

from bioplastic.analysis import spike_recordings
from bioplastic.experiments import validate_protocol
from bioplastic.plotting import learning_curves, save_figure
from bioplastic.plotting.style import bioplastic_style
from bioplastic.runs import read_npz

from _runs import cached_run

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent / "protocols" / "istdp_vogels2011.toml"
NETWORK = HERE.parent / "protocols" / "istdp_vogels2011_network.toml"
TARGETS_HZ = (5.0, 10.0)
CHANNELS = 8
BIN_S = 5.0                    # output rate bins
LATE_S = 50.0                  # the final rate is measured over the last LATE_S seconds
WINDOW_S = 1.0                 # the conductance traces of panel D: the first and the last WINDOW_S seconds
TAU_EXCITATORY_MS, TAU_INHIBITORY_MS, G_LEAK_NS = 5.0, 10.0, 10.0      # the protocol's synapses; the paper's leak
EXCITATORY_PER_CHANNEL, INHIBITORY_PER_CHANNEL = 100, 25


def target_overrides(target_hz: float) -> list[str]:
    if target_hz == TARGETS_HZ[0]:
        return []
    return [f"model.projections.inhibition.plasticity.params.target_rate_hz={target_hz:g}"]


def load(run_dir: pathlib.Path) -> dict:
    """Output spike times (s), inhibitory weights per channel over time, excitatory weights and signals per channel."""
    protocol = tomllib.loads((run_dir / "protocol.toml").read_text())
    dt_ms = protocol["simulation"]["dt_ms"]
    recordings = spike_recordings(read_npz(run_dir / "recordings.npz"))
    stride = protocol["recordings"]["inhibitory_weights"]["stride"]
    inhibitory = np.asarray(recordings["inhibitory_weights"])[:, :, 0]
    experiment = validate_protocol(run_dir / "protocol.toml")       # the same seed: the same weights and signals
    excitatory = np.array([float(np.mean(experiment.params["projections"][f"excitation{k}"].weights))
                           for k in range(1, CHANNELS + 1)])
    signals = [experiment.drive.currents[f"exc{k}"][0] for k in range(1, CHANNELS + 1)]
    return {
        "spikes_s": np.asarray(recordings["output"].steps) * dt_ms / 1000.0,
        "duration_s": protocol["simulation"]["duration_ms"] / 1000.0,
        "times_s": np.concatenate([[0.0], (np.arange(len(inhibitory)) + 1) * stride * dt_ms / 1000.0]),
        "inhibitory": np.concatenate([[np.full(CHANNELS, protocol["model"]["projections"]["inhibition"]["weight"])],
                                      inhibitory.reshape(len(inhibitory), CHANNELS, -1).mean(axis=2)]),
        "excitatory": excitatory,
        "signals_hz": np.stack([np.asarray(s.rates_hz)[:, 0] for s in signals], axis=1),
        "sample_ms": signals[0].steps_per_sample * dt_ms,
        "target_hz": protocol["model"]["projections"]["inhibition"]["plasticity"]["params"]["target_rate_hz"],
    }


def rate_hz(run: dict, start_s: float, stop_s: float) -> float:
    spikes = run["spikes_s"]
    return float(np.sum((spikes >= start_s) & (spikes < stop_s)) / (stop_s - start_s))


def tuning_correlation(run: dict) -> np.ndarray:
    """Pearson correlation of the excitatory and inhibitory mean weights per channel, at every recorded time."""
    return np.array([np.corrcoef(run["excitatory"], row)[0, 1] if np.ptp(row) > 0 else np.nan for row in run["inhibitory"]])


def conductances_ns(run: dict, start_s: float, inhibitory_weights: np.ndarray) -> tuple:
    """Times (s) and the excitatory and inhibitory conductances (nS) that the channels' rates drive in a window.

    ``g(t) = sum_k W_k (r_k * kernel)(t)``: ``W_k`` the summed weights of channel ``k`` (relative to the leak),
    ``r_k`` its rate, the kernel each synapse's exponential (one spike adds its weight, which decays with tau):
    the mean of the spike-driven conductance, ``W r tau``, without its Poisson noise. Filtered from the start of
    the run, so the window has no transient.
    """
    signals, step_ms = run["signals_hz"], run["sample_ms"]
    stop = int(round((start_s + WINDOW_S) * 1000.0 / step_ms))
    traces = []
    for tau_ms, weights in ((TAU_EXCITATORY_MS, EXCITATORY_PER_CHANNEL * run["excitatory"]),
                            (TAU_INHIBITORY_MS, INHIBITORY_PER_CHANNEL * inhibitory_weights)):
        drive = signals[:stop] @ weights * step_ms / 1000.0
        traces.append(G_LEAK_NS * scipy.signal.lfilter([1.0], [1.0, -np.exp(-step_ms / tau_ms)], drive))
    first = int(round(start_s * 1000.0 / step_ms))
    return np.arange(first, stop) * step_ms / 1000.0, traces[0][first:], traces[1][first:]


def load_network(run_dir: pathlib.Path) -> dict:
    """The recorded excitatory spikes (times in s, neuron indices), the run's length and the target rate."""
    protocol = tomllib.loads((run_dir / "protocol.toml").read_text())
    spikes = spike_recordings(read_npz(run_dir / "recordings.npz"))["exc_spikes"]
    neurons = protocol["recordings"]["exc_spikes"]["neurons"]
    phases = protocol["learning"]["phases"]
    return {
        "times_s": np.asarray(spikes.steps) * protocol["simulation"]["dt_ms"] / 1000.0,
        "neurons": np.asarray(spikes.neurons),
        "n": neurons["stop"] - neurons.get("start", 0),
        "duration_s": protocol["simulation"]["duration_ms"] / 1000.0,
        "plastic_from_s": phases[0]["duration_ms"] / 1000.0 if not phases[0].get("plasticity", True) else 0.0,
        "target_hz": protocol["model"]["projections"]["inh_to_exc"]["plasticity"]["params"]["target_rate_hz"],
    }


def irregularity_and_synchrony(network: dict, start_s: float, stop_s: float, bin_ms: float = 5.0) -> tuple:
    """Mean CV of the inter-spike intervals (neurons with >= 4 spikes) and the synchrony chi in a window."""
    inside = (network["times_s"] >= start_s) & (network["times_s"] < stop_s)
    times, neurons = network["times_s"][inside], network["neurons"][inside]
    cvs = []
    for neuron in range(network["n"]):
        intervals = np.diff(np.sort(times[neurons == neuron]))
        if len(intervals) >= 3:
            cvs.append(intervals.std() / intervals.mean())
    counts = np.zeros((int(round((stop_s - start_s) * 1000.0 / bin_ms)), network["n"]))
    np.add.at(counts, (np.minimum(((times - start_s) * 1000.0 / bin_ms).astype(int), len(counts) - 1), neurons), 1.0)
    chi = np.sqrt(counts.mean(axis=1).var() / counts.var(axis=0).mean())
    return float(np.mean(cvs)) if cvs else float("nan"), float(chi)


def compute(fresh: bool) -> dict:
    cells = {target: load(cached_run("fig_istdp", PROTOCOL, fresh, target_overrides(target))) for target in TARGETS_HZ}
    return {"cells": cells, "network": load_network(cached_run("fig_istdp", NETWORK, fresh))}


def draw(everything: dict) -> Figure:
    data, network = everything["cells"], everything["network"]
    base = data[TARGETS_HZ[0]]
    fig = Figure(figsize=(15.0, 12.0), layout="constrained")
    grid = fig.add_gridspec(3, 2)

    ax = fig.add_subplot(grid[0, 0])
    curves = {}
    for target, run in data.items():
        edges = np.arange(0.0, run["duration_s"] + 1e-9, BIN_S)
        counts, _ = np.histogram(run["spikes_s"], bins=edges)
        curves[f"rho0 = {target:g} Hz"] = (edges[:-1] + BIN_S / 2, counts / BIN_S)
    learning_curves(curves, ax=ax, xlabel="time (s)", ylabel="output rate (Hz)")
    for k, target in enumerate(TARGETS_HZ):
        ax.axhline(target, color=f"C{k}", linestyle="--", linewidth=0.8)
    top = 3 * max(TARGETS_HZ)
    ax.set(ylim=(0, top), title=f"A  the output rate converges to rho0 ({BIN_S:g} s bins)")
    first = ", ".join(f"{curve[1][0]:.0f}" for curve in curves.values())
    ax.text(0.98, 0.97, f"first bin (weak inhibition): {first} Hz", transform=ax.transAxes, ha="right", va="top",
            fontsize="small")

    ax = fig.add_subplot(grid[0, 1])
    channels = np.arange(1, CHANNELS + 1)
    ax.plot(channels, base["excitatory"], "s-", color="k", label="excitatory (fixed)")
    ax.set(xlabel="input channel (index)", ylabel="mean excitatory weight (g / g_leak)")
    right = ax.twinx()
    right.plot(channels, base["inhibitory"][0], "o--", color="0.6", label="inhibitory, start")
    right.plot(channels, base["inhibitory"][-1], "o-", color="C3", label=f"inhibitory, after {base['duration_s']:g} s")
    right.set_ylabel("mean inhibitory weight (g / g_leak)", color="C3")
    right.set_ylim(0, None)
    ax.set_ylim(0, None)
    r = tuning_correlation(base)[-1]
    ax.set_title(f"B  tuning curves (rho0 = {base['target_hz']:g} Hz): correlation {r:.3f} after learning")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize="small", loc="upper left")

    ax = fig.add_subplot(grid[1, 0])
    for k, (target, run) in enumerate(data.items()):
        ax.plot(run["times_s"], tuning_correlation(run), color=f"C{k}", label=f"rho0 = {target:g} Hz")
    ax.set(xlabel="time (s)", ylabel="exc-inh weight correlation over channels (unitless)", ylim=(-1, 1),
           title="C  detailed balance emerges: the inhibitory tuning mirrors the excitatory one")
    ax.legend(fontsize="small")

    inner = grid[1, 1].subgridspec(2, 1)
    windows = (("start", 0.0, base["inhibitory"][0]), ("end", base["duration_s"] - WINDOW_S, base["inhibitory"][-1]))
    for row, (name, start, weights) in enumerate(windows):
        ax = fig.add_subplot(inner[row])
        t, excitatory, inhibitory = conductances_ns(base, start, weights)
        ax.plot(t, excitatory, color="k", label="excitatory")
        ax.plot(t, inhibitory, color="C3", label="inhibitory")
        spikes = base["spikes_s"][(base["spikes_s"] >= start) & (base["spikes_s"] < start + WINDOW_S)]
        top = max(excitatory.max(), inhibitory.max())
        ax.plot(spikes, np.full(spikes.shape, 1.08 * top), "|", color="C0", markersize=6, label="output spikes")
        ax.set(ylabel="conductance (nS)", ylim=(0, 1.15 * top),
               title=f"{'D  ' if row == 0 else ''}{name}: g_E (black) and g_I (red) correlate by "
                     f"{np.corrcoef(excitatory, inhibitory)[0, 1]:.2f}; {len(spikes)} output spikes (ticks) in {WINDOW_S:g} s")
        if row == 1:
            ax.set_xlabel("time (s)")

    inner = grid[2, 0].subgridspec(1, 2)
    shown = 100
    windows = ((network["plastic_from_s"] - 0.2, network["plastic_from_s"], "before plasticity"),
               (network["duration_s"] - 0.2, network["duration_s"], f"after {network['duration_s']:g} s"))
    for column, (start, stop, name) in enumerate(windows):
        ax = fig.add_subplot(inner[column])
        inside = (network["times_s"] >= start) & (network["times_s"] < stop) & (network["neurons"] < shown)
        ax.plot(network["times_s"][inside], network["neurons"][inside], "|", color="k", markersize=2)
        ax.set(xlabel="time (s)", ylabel="excitatory neuron (index)" if column == 0 else None, ylim=(-1, shown),
               xticks=np.round([start, (start + stop) / 2, stop], 2), title=f"{'E  network: ' if column == 0 else ''}{name}")

    ax = fig.add_subplot(grid[2, 1])
    edges = np.arange(0.0, network["duration_s"] + 1e-9, 1.0)
    counts, _ = np.histogram(network["times_s"], bins=edges)
    ax.plot(edges[:-1] + 0.5, counts / network["n"], color="k")
    ax.axhline(network["target_hz"], color="C0", linestyle="--", linewidth=0.8, label=f"rho0 = {network['target_hz']:g} Hz")
    ax.axvline(network["plastic_from_s"], color="0.6", linewidth=0.8)
    before = irregularity_and_synchrony(network, 0.0, network["plastic_from_s"])
    after = irregularity_and_synchrony(network, network["duration_s"] - 10.0, network["duration_s"])
    ax.set(xlabel="time (s)", ylabel="excitatory rate (Hz)", yscale="log",
           title=f"F  rate; CV {before[0]:.2f} -> {after[0]:.2f}, synchrony chi {before[1]:.2f} -> {after[1]:.2f}")
    ax.legend(fontsize="small")
    return fig


def main(argv=None) -> pathlib.Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rerun the simulations instead of using the cache")
    args = parser.parse_args(argv)
    data = compute(args.fresh)
    with bioplastic_style():
        path = save_figure(draw(data), HERE / "out" / "fig_istdp.png")
    print(f"wrote {path}")
    data, network = data["cells"], data["network"]
    for target, run in data.items():
        end = run["duration_s"]
        print(f"  rho0 = {target:g} Hz: output {rate_hz(run, 0.0, 1.0):.1f} Hz in the first second, "
              f"{rate_hz(run, end - LATE_S, end):.2f} Hz over the last {LATE_S:g} s; tuning correlation "
              f"{tuning_correlation(run)[-1]:.4f} at {end:g} s")
    base = data[TARGETS_HZ[0]]
    for name, start, weights in (("first", 0.0, base["inhibitory"][0]),
                                 ("last", base["duration_s"] - WINDOW_S, base["inhibitory"][-1])):
        _, excitatory, inhibitory = conductances_ns(base, start, weights)
        print(f"  rho0 = {base['target_hz']:g} Hz, {name} {WINDOW_S:g} s: excitatory and inhibitory conductances "
              f"(rate-driven) correlate by {np.corrcoef(excitatory, inhibitory)[0, 1]:.3f}; means {excitatory.mean():.1f} "
              f"and {inhibitory.mean():.1f} nS")
    end = network["duration_s"]
    for name, start, stop in (("before plasticity", 0.0, network["plastic_from_s"]), ("last 10 s", end - 10.0, end)):
        inside = (network["times_s"] >= start) & (network["times_s"] < stop)
        cv, chi = irregularity_and_synchrony(network, start, stop)
        print(f"  network, {name}: excitatory rate {inside.sum() / network['n'] / (stop - start):.2f} Hz "
              f"(rho0 = {network['target_hz']:g} Hz), mean CV {cv:.2f}, synchrony chi {chi:.3f}")
    return path


if __name__ == "__main__":
    main()
