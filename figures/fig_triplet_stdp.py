"""Triplet STDP (Pfister & Gerstner 2006): pairing frequency in visual cortex, triplets in hippocampus.

A. Weight change after 60 pre/post pairings against the pairing frequency, post spike 10 ms
   after (+10) or before (-10) the pre spike, for the paper's minimal visual-cortex fits
   (Table 3): all-to-all (lines with dots: runs of ``protocols/stdp_triplet_frequency.toml``,
   one per point, ``--set`` overrides of the frequency and the sign) and nearest-spike (the
   rule driven directly by the same spike trains: the protocol's rule parameters take numbers
   only, and the nearest-spike interaction is a string). Markers with error bars: the
   Sjostrom et al. (2001) data the paper fits, as its Table 1 quotes them (mean +- s.e.m.).
B. The hippocampal triplet protocols of Wang et al. (2005), 60 repetitions at 1 Hz: pre-post-pre
   (``dt1 = t_post - t_pre1 > 0``, ``dt2 = t_post - t_pre2 < 0``) and post-pre-post
   (``dt1 = t_post1 - t_pre < 0``, ``dt2 = t_post2 - t_pre > 0``); bars: the data as the
   paper's Table 2 quotes them; markers: the paper's full hippocampal fits (Table 4),
   all-to-all and nearest-spike, and the all-to-all fit without its triplet terms (a pair
   rule: the same value for the two triplets with the same intervals).
C. The quadruplet protocol (60 repetitions at 1 Hz): a post-pre pair (post 5 ms before pre)
   and a pre-post pair (post 5 ms after pre), the pre-post pair T ms after the post-pre pair
   (T > 0, T between the two pre spikes) or before it (T < 0, T between the two post
   spikes); the same fits. The data of this protocol are not drawn (not quoted here).

The weight starts at 0 and the rule is additive, so the change is in units of the initial
weight: the paper's normalized change. Every run and direct drive uses dt = 1 ms (every spike
time is a whole ms, and the traces decay by exactly ``exp(-dt / tau)`` per step, so the result
does not depend on dt; ``tests/test_triplet_stdp.py`` checks dt = 0.1 ms against closed
forms). The direct drive of the all-to-all fit is checked against the protocol runs.

Usage::

    python figures/fig_triplet_stdp.py            # about 4 minutes on 2 busy cores the first time, then 40 s
    python figures/fig_triplet_stdp.py --fresh    # rerun the protocol runs
"""

from __future__ import annotations

import argparse
import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from bioplastic.plotting import save_figure
from bioplastic.plotting.style import add_legend, bioplastic_style, label_axes, style_axes
from bioplastic.rules.events import weight_change
from bioplastic.rules.triplet_stdp import PARAMETER_SETS, triplet_stdp
from bioplastic.synapses.connectivity import dense

from _runs import cached_run

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent / "protocols" / "stdp_triplet_frequency.toml"
DT_MS = 1.0
N_PAIRINGS = 60
RATES_HZ = (0.1, 1.0, 5.0, 10.0, 20.0, 25.0, 40.0, 50.0)      # periods of whole ms
LAGS_MS = (10.0, -10.0)
FIRST_MS = 10.0                                                # the protocol's first spike of a pairing

# Pfister & Gerstner (2006), Table 1: Sjostrom et al. (2001), normalized weight change (mean, s.e.m.).
SJOSTROM = {10.0: {0.1: (-0.04, 0.05), 10.0: (0.14, 0.10), 20.0: (0.29, 0.14), 40.0: (0.53, 0.11), 50.0: (0.56, 0.26)},
            -10.0: {0.1: (-0.29, 0.08), 10.0: (-0.41, 0.11), 20.0: (-0.34, 0.10), 40.0: (0.56, 0.32),
                    50.0: (0.75, 0.19)}}
# Pfister & Gerstner (2006), Table 2: Wang et al. (2005), normalized weight change (mean, s.e.m.).
WANG = {("pre-post-pre", 5.0, -5.0): (-0.01, 0.04), ("pre-post-pre", 10.0, -10.0): (0.03, 0.04),
        ("pre-post-pre", 15.0, -5.0): (0.01, 0.03), ("pre-post-pre", 5.0, -15.0): (0.24, 0.06),
        ("post-pre-post", -5.0, 5.0): (0.33, 0.04), ("post-pre-post", -10.0, 10.0): (0.34, 0.04),
        ("post-pre-post", -5.0, 15.0): (0.22, 0.08), ("post-pre-post", -15.0, 5.0): (0.29, 0.05)}
QUADRUPLET_T_MS = tuple(float(t) for t in range(-100, 101, 5) if abs(t) >= 10)
VISUAL = {"all-to-all": "visual_cortex_all_to_all_minimal", "nearest-spike": "visual_cortex_nearest_minimal"}
HIPPOCAMPAL = {"all-to-all, full": "hippocampal_all_to_all_full", "nearest-spike, full": "hippocampal_nearest_full"}


def overrides(rate_hz: float, lag_ms: float) -> list:
    """``--set`` overrides of the protocol for one frequency and sign (at dt = 1 ms)."""
    period = 1000.0 / rate_hz
    pre_start, post_start = (FIRST_MS, FIRST_MS + lag_ms) if lag_ms > 0 else (FIRST_MS - lag_ms, FIRST_MS)
    return [f"simulation.dt_ms={DT_MS}", f"inputs.pre.rate_hz={rate_hz}", f"inputs.post.rate_hz={rate_hz}",
            f"simulation.duration_ms={25.0 + (N_PAIRINGS - 1) * period}", f"inputs.pre.start_ms={pre_start}",
            f"inputs.post.start_ms={post_start}", "recordings.weight.stride=5"]        # 5 ms: divides every duration


def protocol_changes(fresh: bool) -> dict:
    """``{lag: [weight change per rate]}`` from runs of the protocol (all-to-all minimal fit)."""
    changes = {}
    for lag in LAGS_MS:
        changes[lag] = []
        for rate in RATES_HZ:
            run_dir = cached_run("fig_triplet_stdp", PROTOCOL, fresh, overrides(rate, lag))
            metrics = json.loads((run_dir / "metrics.json").read_text())
            changes[lag].append(metrics["mean_weight_pairing"])
    return changes


def drive(params: dict, protocols, n: int = N_PAIRINGS, period_ms: float = 1000.0) -> np.ndarray:
    """Total change of the rule for each protocol (pre times, post times within one period), repeated n times."""
    rule = triplet_stdp(**params, w_min=-10.0, w_max=10.0, dt_ms=DT_MS)
    conn = dense(1, 1, 0.0)
    width = max(max(len(pre), len(post)) for pre, post in protocols)
    pad = lambda times: [round(t / DT_MS) for t in times] + [-1] * (width - len(times))   # noqa: E731
    pre_steps = jnp.array([pad(pre) for pre, _ in protocols])
    post_steps = jnp.array([pad(post) for _, post in protocols])

    def run(pre_at, post_at):
        def step(state, i):
            pre = jnp.any(pre_at == i).astype(jnp.float32)[None]
            post = jnp.any(post_at == i).astype(jnp.float32)[None]
            change, state = rule.update(state, conn, pre=pre, post=post)
            return state, weight_change(change, conn)[0, 0]

        def one_period(state, _):
            state, changes = jax.lax.scan(step, state, jnp.arange(round(period_ms / DT_MS)))
            return state, changes.sum()

        return jax.lax.scan(one_period, rule.init(conn), None, length=n)[1].sum()

    return np.asarray(jax.jit(jax.vmap(run))(pre_steps, post_steps))


def pairing(lag_ms: float) -> tuple:
    """Pre and post spike times (ms) of one pairing within its period: the protocol's trains less 10 ms."""
    return ([0.0], [lag_ms]) if lag_ms > 0 else ([-lag_ms], [0.0])


def direct_frequency_curve(params: dict) -> dict:
    """``{lag: [weight change per rate]}`` from the rule driven directly (one drive per rate)."""
    return {lag: [float(drive(params, [pairing(lag)], period_ms=1000.0 / rate)[0]) for rate in RATES_HZ]
            for lag in LAGS_MS}


def triplet(kind: str, dt1: float, dt2: float) -> tuple:
    """Spike times (ms) of one repetition of a triplet protocol (see the module docstring)."""
    if kind == "pre-post-pre":
        return [20.0, 20.0 + dt1 - dt2], [20.0 + dt1]
    return [20.0 - dt1], [20.0, 20.0 - dt1 + dt2]


def quadruplet(t_ms: float) -> tuple:
    """Spike times (ms) of one repetition of the quadruplet protocol with interval ``t_ms``."""
    if t_ms > 0:
        return [25.0, 25.0 + t_ms], [20.0, 30.0 + t_ms]              # post, pre, ..., pre, post
    return [20.0, 30.0 - t_ms], [25.0, 25.0 - t_ms]                  # pre, post, ..., post, pre


def compute(fresh: bool) -> dict:
    data = {"runs": protocol_changes(fresh), "direct": {name: direct_frequency_curve(PARAMETER_SETS[key])
                                                        for name, key in VISUAL.items()}}
    runs, direct = np.array([data["runs"][lag] for lag in LAGS_MS]), np.array(
        [data["direct"]["all-to-all"][lag] for lag in LAGS_MS])
    if not np.allclose(runs, direct, atol=2e-4):
        raise RuntimeError(f"protocol runs and direct drive disagree: {runs} against {direct}")
    data["triplets"] = {name: drive(PARAMETER_SETS[key], [triplet(*k) for k in WANG]) for name, key in HIPPOCAMPAL.items()}
    pair_rule = dict(PARAMETER_SETS["hippocampal_all_to_all_full"], a3_plus=0.0, a3_minus=0.0)
    data["triplets"]["pair terms only"] = drive(pair_rule, [triplet(*k) for k in WANG])
    data["quadruplets"] = {name: drive(PARAMETER_SETS[key], [quadruplet(t) for t in QUADRUPLET_T_MS])
                           for name, key in HIPPOCAMPAL.items()}
    return data


def draw(data: dict) -> Figure:
    fig = Figure(figsize=(14.0, 4.4), layout="constrained")
    axes = fig.subplot_mosaic([["A", "B", "C"]], width_ratios=[1.1, 1.3, 1.0])
    ax = axes["A"]
    colors = {"all-to-all": "C0", "nearest-spike": "C1"}
    for lag, style in zip(LAGS_MS, ("-", "--")):
        ax.plot(RATES_HZ, data["runs"][lag], style, marker="o", markersize=3, color=colors["all-to-all"],
                label=f"all-to-all minimal, {lag:+g} ms (protocol runs)")
        ax.plot(RATES_HZ, data["direct"]["nearest-spike"][lag], style, color=colors["nearest-spike"],
                label=f"nearest-spike minimal, {lag:+g} ms")
        rates = sorted(SJOSTROM[lag])
        ax.errorbar(rates, [SJOSTROM[lag][r][0] for r in rates], yerr=[SJOSTROM[lag][r][1] for r in rates],
                    fmt="s" if lag > 0 else "^", color="k", markersize=5, capsize=2, linestyle="none",
                    label=f"data {lag:+g} ms (Sjostrom et al. 2001)")
    ax.axhline(0.0, color="0.6", linewidth=0.6)
    label_axes(ax, "pairing frequency (Hz)", "normalized weight change (fraction; 60 pairings)")
    ax.set_title("A. visual cortex: pairing frequency")
    add_legend(ax, loc="upper left", fontsize=6.5)
    style_axes(ax)

    ax = axes["B"]
    keys = list(WANG)
    x = np.arange(len(keys))
    ax.bar(x, [WANG[k][0] for k in keys], yerr=[WANG[k][1] for k in keys], color="0.8", capsize=2,
           label="data (Wang et al. 2005)")
    for (name, values), marker, offset in zip(data["triplets"].items(), ("o", "D", "x"), (-0.2, 0.0, 0.2)):
        ax.plot(x + offset, values, marker, linestyle="none", markersize=5, label=name)
    ax.set_xticks(x, [f"{k[1]:g}, {k[2]:g}" for k in keys], fontsize=7)
    ax.axhline(0.0, color="0.6", linewidth=0.6)
    label_axes(ax, "pre-post-pre (dt1, dt2 in ms)                post-pre-post (dt1, dt2 in ms)",
               "normalized weight change (fraction; 60 triplets, 1 Hz)")
    ax.set_title("B. hippocampus: triplets")
    add_legend(ax, loc="upper left", fontsize=7)
    style_axes(ax)

    ax = axes["C"]
    for name, values in data["quadruplets"].items():
        left = [i for i, t in enumerate(QUADRUPLET_T_MS) if t < 0]
        right = [i for i, t in enumerate(QUADRUPLET_T_MS) if t > 0]
        line, = ax.plot([QUADRUPLET_T_MS[i] for i in left], values[left], marker=".", label=name)
        ax.plot([QUADRUPLET_T_MS[i] for i in right], values[right], marker=".", color=line.get_color())
    ax.axhline(0.0, color="0.6", linewidth=0.6)
    label_axes(ax, "T (ms)", "normalized weight change (fraction; 60 quadruplets, 1 Hz)")
    ax.set_title("C. hippocampus: quadruplets (model)")
    add_legend(ax, loc="upper left", fontsize=7)
    style_axes(ax)
    return fig


def summary(data: dict) -> list:
    lines = ["A. rate (Hz), lag: all-to-all minimal (protocol run) | nearest-spike minimal | data (mean +- sem)"]
    for lag in LAGS_MS:
        for rate, run, nearest in zip(RATES_HZ, data["runs"][lag], data["direct"]["nearest-spike"][lag]):
            mean_sem = SJOSTROM[lag].get(rate)
            quoted = f"{mean_sem[0]:+.2f} +- {mean_sem[1]:.2f}" if mean_sem else "-"
            lines.append(f"  {rate:5g} {lag:+4g}: {run:+.4f} | {nearest:+.4f} | {quoted}")
    lines.append("B. triplet (dt1, dt2): " + " | ".join(data["triplets"]) + " | data")
    for i, key in enumerate(WANG):
        values = " | ".join(f"{values[i]:+.4f}" for values in data["triplets"].values())
        lines.append(f"  {key[0]} ({key[1]:g}, {key[2]:g}): {values} | {WANG[key][0]:+.2f} +- {WANG[key][1]:.2f}")
    lines.append("C. quadruplet T (ms): " + ", ".join(
        f"{name}: " + " ".join(f"{t:g}:{v:+.3f}" for t, v in zip(QUADRUPLET_T_MS, values) if abs(t) in (10, 20, 50, 100))
        for name, values in data["quadruplets"].items()))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="rerun the protocol runs instead of using the cache")
    args = parser.parse_args(argv)
    data = compute(args.fresh)
    with bioplastic_style():
        out = save_figure(draw(data), HERE / "out" / "fig_triplet_stdp.png")
    print(f"wrote {out}")
    for line in summary(data):
        print(line)


if __name__ == "__main__":
    main()
