"""Izhikevich (2007), Fig. 1: dopamine-modulated STDP finds the one rewarded synapse among 80 000.

The network of :mod:`bioplastic.networks.distal_reward` (800 regular-spiking and 200
fast-spiking Izhikevich neurons, 100 synapses each, excitatory delays 1-20 ms, thalamic
noise); a randomly chosen excitatory synapse (starting at 0 mV) earns a reward -- dopamine
released 1-3 s later -- every time its postsynaptic neuron fires 1-10 ms after its
presynaptic one. The paper: within an hour of model time the chosen synapse reaches the
maximum (4 mV) while the others stay in the bulk of the distribution.

A. the chosen weight over model time against the median, 25-75 % and 5-95 % bands of all
   800 x 100 excitatory weights; red ticks: dopamine releases (rewards);
B. the chosen synapse's rank among the excitatory weights (1 = largest);
C. the final distribution of the excitatory weights, the chosen one marked;
D. rewards earned per minute, and the excitatory and inhibitory firing rates (Hz).

The run is done in 1-s compiled chunks and saved every minute of model time under
``figures/cache/fig_distal_reward-<key>/`` (the key hashes the constants and the seed); a
stopped run resumes from there, and a finished one is only re-plotted. Before the long
run the script times the first 10 s and extrapolates; if the rest would take longer than
``--budget-min`` minutes of wall time it runs until the budget is spent, saves, draws what
it has, and says so (run it again to continue). Writes ``figures/out/fig_distal_reward.png``
and prints the headline numbers.

Measured (seed 0, 2 shared cores; one XLA thread uses 0.26-0.29 s of CPU per simulated
second, 0.25-0.5 s of wall time depending on the load):

- 1-20 ms delays, 10-ms window (the defaults): 70 rewards in the first hour; the chosen
  synapse climbs from 0 and first reaches 4 mV at 53 min (rank 1); at exactly 60 min it is
  in a dip, 3.22 mV (rank 430 of 80 000, above 99.5 % of them); continued to 75 min it is
  back at 4.0 (rank 75: 45 others also reached 4 mV), 114 rewards. The median weight drifts
  from 1 to 0.2-0.25 mV, the 95th percentile to 1.7-1.9 mV. 3600 s took 29 min of wall time.
- ``daspnet.m``'s 1-ms delays and 1-19 ms window: 253 rewards; 4 mV at 10 min, near it for
  the rest of the hour, 4.0 (rank 1) at 60 min; but 269 other synapses also at 4 mV and the
  95th percentile at 3.1 mV: each reward turns every synapse's chance eligibility into a
  weight step, so the bulk spreads with the number of rewards.

Usage::

    python figures/fig_distal_reward.py                    # one hour of model time (about 15-30 min on 2 shared cores)
    python figures/fig_distal_reward.py --seconds 600      # a shorter run
    python figures/fig_distal_reward.py --max-delay-ms 1 --window-ms 19 --out fig_distal_reward_daspnet
                                                           # daspnet.m's 1-ms delays and 1-19 ms window
"""

from __future__ import annotations

import os

# One thread for XLA's elementwise loops: the machine's 2 cores are shared, and at this
# size (80 000 synapses) a second thread does not make a step faster.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bioplastic.networks.distal_reward import PERCENTILES, DistalRewardConfig, build_distal_reward, run_seconds  # noqa: E402
from bioplastic.plotting import save_figure  # noqa: E402
from bioplastic.plotting.style import bioplastic_style  # noqa: E402
from bioplastic.runs import checkpoint, write_json  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
SAVE_EVERY_S = 60
PROBE_S = 10


def cache_folder(config: DistalRewardConfig, seed: int) -> pathlib.Path:
    """Where the run of ``config`` and ``seed`` keeps its checkpoint and history."""
    content = json.dumps({"config": dataclasses.asdict(config), "seed": seed}, sort_keys=True).encode()
    return HERE / "cache" / f"fig_distal_reward-{hashlib.sha256(content).hexdigest()[:12]}"


def simulate(config: DistalRewardConfig, seed: int, seconds: int, budget_min: float, fresh: bool) -> dict:
    """Run (or resume) the experiment up to ``seconds`` of model time within ``budget_min`` of wall time.

    Returns the history (:func:`~bioplastic.networks.distal_reward.run_seconds`) with the
    final weights, the chosen synapse and the wall time of every chunk added.
    """
    folder = cache_folder(config, seed)
    folder.mkdir(parents=True, exist_ok=True)
    model, params = build_distal_reward(jax.random.PRNGKey(seed), config)
    state, history = model.init(params), None
    if (folder / checkpoint.FILE).exists() and not fresh:
        state, done = checkpoint.load(folder / checkpoint.FILE, like=state)
        history = json.loads((folder / "history.json").read_text())
        print(f"resuming from {done} s of model time in {folder}", flush=True)
    history = history or {"wall_s": []}
    done = len(history.get("time_s", []))
    clock = [time.perf_counter()]
    started = time.perf_counter()
    deadline = started + 60.0 * budget_min

    def save(state, history):
        write_json(folder / "history.json", history)
        checkpoint.save(folder / checkpoint.FILE, state, units_done=len(history["time_s"]))

    def on_chunk(state, history):
        now = time.perf_counter()
        history["wall_s"].append(now - clock[0])
        clock[0] = now
        n = len(history["time_s"])
        if n % SAVE_EVERY_S == 0 or n == seconds:
            save(state, history)
            print(f"{n:5d} s: chosen w = {history['chosen_weight'][-1]:.3f} mV, rank {history['chosen_rank'][-1]}, "
                  f"{len(history['earned_ms'])} rewards, exc {history['exc_rate_hz'][-1]:.2f} Hz, "
                  f"wall {now - started:.0f} s", flush=True)

    while done < seconds:
        block = min(PROBE_S if done < PROBE_S else SAVE_EVERY_S - done % SAVE_EVERY_S, seconds - done)
        state, history = run_seconds(model, params, state, block, history=history, on_chunk=on_chunk)
        done = len(history["time_s"])
        if done == PROBE_S or (done < PROBE_S and done == seconds):
            steady = history["wall_s"][1:done] or history["wall_s"]
            per_s = float(np.median(steady))
            print(f"speed: {per_s:.3f} s of wall time per simulated second (first second, with compilation: "
                  f"{history['wall_s'][0]:.1f} s); {seconds} s would take about {per_s * seconds / 60:.1f} min",
                  flush=True)
        if time.perf_counter() > deadline and done < seconds:
            save(state, history)
            print(f"wall-time budget of {budget_min} min spent at {done} s of model time; run again to continue",
                  flush=True)
            break
    save(state, history)
    pre, slot, post = (int(i) for i in params.chosen)
    return dict(history, final_weights=np.asarray(state.weights).ravel().tolist(), chosen=[pre, slot, post],
                folder=str(folder))


def draw(data: dict, config: DistalRewardConfig) -> Figure:
    """The four panels of the module docstring from a run's history."""
    t_min = np.asarray(data["time_s"]) / 60.0
    percentiles = np.asarray(data["percentiles"])
    fig = Figure(figsize=(11.0, 7.5), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)

    a.fill_between(t_min, percentiles[:, 0], percentiles[:, 4], color="0.85", label="5-95 %")
    a.fill_between(t_min, percentiles[:, 1], percentiles[:, 3], color="0.65", label="25-75 %")
    a.plot(t_min, percentiles[:, 2], color="k", lw=1.0, label="median")
    a.plot(t_min, data["chosen_weight"], color="tab:blue", lw=1.5, label="chosen synapse")
    released = np.asarray(data["released_ms"]) / 60000.0
    a.plot(released, np.full(len(released), -0.15), "|", color="tab:red", ms=6, label="dopamine release")
    a.set(xlabel="model time (min)", ylabel="weight (mV)", ylim=(-0.3, config.w_max + 0.2),
          title=f"A. chosen weight vs all {config.n_exc * config.synapses_per_neuron} excitatory weights")
    a.legend(loc="upper left", fontsize=8)

    b.semilogy(t_min, data["chosen_rank"], color="tab:blue", lw=0.8)
    b.invert_yaxis()
    b.set(xlabel="model time (min)", ylabel="rank (1 = largest)",
          title="B. rank of the chosen synapse (ties at 4 mV share rank 1)")
    for ax in (a, b):
        if t_min[-1] > 60.0:
            ax.axvline(60.0, color="0.4", ls=":", lw=1.0)          # the paper's hour

    weights = np.asarray(data["final_weights"])
    bins = np.linspace(0.0, config.w_max, 81)
    c.hist(weights, bins=bins, color="0.5")
    c.set_yscale("log")
    chosen = data["chosen_weight"][-1]
    c.axvline(chosen, color="tab:red", lw=1.0)
    at_max = int(np.sum(weights >= config.w_max))
    c.plot([chosen], [1.0], "o", color="tab:red",
           label=f"chosen: {chosen:.2f} mV, rank {data['chosen_rank'][-1]}\n({at_max} synapses at {config.w_max:g} mV)")
    c.set(xlabel="weight (mV)", ylabel="synapses", title=f"C. excitatory weights at {data['time_s'][-1] / 60:.0f} min")
    c.legend(loc="upper right", fontsize=8)

    minutes = int(np.ceil(data["time_s"][-1] / 60.0))
    per_minute = np.bincount((np.asarray(data["earned_ms"], int) // 60000), minlength=minutes)[:minutes]
    d.step(np.arange(minutes) + 1.0, per_minute, where="pre", color="tab:red", label="rewards earned / min")
    d.set(xlabel="model time (min)", ylabel="rewards per minute", title="D. rewards and firing rates")
    rates = d.twinx()
    for name, color, label in (("exc_rate_hz", "tab:green", "excitatory"), ("inh_rate_hz", "tab:purple", "inhibitory")):
        per_s = np.asarray(data[name])[: 60 * (len(data[name]) // 60)]
        if per_s.size:                                               # means over each minute
            rates.plot(np.arange(per_s.size // 60) + 0.5, per_s.reshape(-1, 60).mean(axis=1), color=color,
                       label=f"{label} rate (Hz)")
    rates.set(ylabel="firing rate (Hz, mean over each minute)", ylim=(0.0, None))
    handles = d.get_legend_handles_labels()[0] + rates.get_legend_handles_labels()[0]
    d.legend(handles, [h.get_label() for h in handles], loc="upper left", fontsize=8, ncols=3)
    d.set_ylim(0.0, 1.5 * max(1, per_minute.max()))
    return fig


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600, help="model time to simulate (s; default one hour)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-delay-ms", type=int, default=20, help="largest excitatory delay (ms; daspnet.m: 1)")
    parser.add_argument("--window-ms", type=int, default=10,
                        help="rewarded lags 1..window ms of the post spike after the pre spike (the paper: 10; daspnet.m: 19)")
    parser.add_argument("--budget-min", type=float, default=40.0, help="wall time for this invocation (min)")
    parser.add_argument("--out", default="fig_distal_reward", help="name of the figure under figures/out/ (no suffix)")
    parser.add_argument("--fresh", action="store_true", help="start again instead of resuming the cached run")
    args = parser.parse_args(argv)
    if args.seconds < 1:
        parser.error(f"--seconds: got {args.seconds}; allowed: a whole number >= 1")
    config = DistalRewardConfig(max_delay_ms=args.max_delay_ms, coincidence_window_ms=args.window_ms)
    data = simulate(config, args.seed, args.seconds, args.budget_min, args.fresh)
    with bioplastic_style():
        path = save_figure(draw(data, config), HERE / "out" / f"{args.out}.png")
    steady = data["wall_s"][1:] or data["wall_s"]
    summary = {
        "model_time_s": data["time_s"][-1],
        "wall_per_model_second_s": float(np.median(steady)),
        "wall_total_s": float(np.sum(data["wall_s"])),
        "chosen_synapse": data["chosen"],
        "chosen_final_weight_mv": data["chosen_weight"][-1],
        "chosen_final_rank": data["chosen_rank"][-1],
        "chosen_final_percentile": data["chosen_percentile"][-1],
        "synapses_at_w_max": int(np.sum(np.asarray(data["final_weights"]) >= config.w_max)),
        "final_weight_percentiles": dict(zip(map(str, PERCENTILES), data["percentiles"][-1])),
        "rewards_earned": len(data["earned_ms"]),
        "rewards_released": len(data["released_ms"]),
        "first_time_at_w_max_s": next((t for t, w in zip(data["time_s"], data["chosen_weight"]) if w >= config.w_max),
                                      None),
        "chosen_weight_at_60_min_mv": data["chosen_weight"][3599] if len(data["time_s"]) >= 3600 else None,
        "chosen_rank_at_60_min": data["chosen_rank"][3599] if len(data["time_s"]) >= 3600 else None,
        "rewards_earned_in_60_min": sum(1 for t in data["earned_ms"] if t < 3_600_000),
        "mean_exc_rate_hz": float(np.mean(data["exc_rate_hz"])),
        "mean_inh_rate_hz": float(np.mean(data["inh_rate_hz"])),
    }
    write_json(pathlib.Path(data["folder"]) / "summary.json", summary)
    print(json.dumps(summary, indent=1))
    print(f"wrote {path}")
    return summary


if __name__ == "__main__":
    main()
