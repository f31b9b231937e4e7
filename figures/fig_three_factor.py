"""Three-factor "what and when" figure: predictions, probability, a switch, and orthogonal readouts.

Every panel comes from runs of the shipped protocol ``protocols/three_factor_what_when.toml``
(``bioplastic.run_protocol``, as ``bioplastic run``): the three-factor readouts beside FORCE
without and with a reset of ``P`` at the switch, on the same reservoirs, noise and trials
(5 repeats, seeds 1-5). A second run of the same protocol without the switch, with four
cues of probabilities 0.2 to 0.8 (400 trials, peaks of the last 200), gives the
amplitude-probability panel.

A. the three-factor prediction (``z_what * z_when``) averaged per cue and aligned to cue
   onset, in the first 10 trials (thin) and the 30 before the switch (thick); dotted: the
   true latencies;
B. the same for FORCE;
C. the two readouts of the three-factor rule before the switch: "when" (solid) peaks at the
   latency whatever the probability, "what" (dashed) is flat at the probability;
D. peak of the mean prediction against the outcome's probability (four-cue run; main run:
   30 trials before the switch and the last 30, every repeat); dashed: amplitude = probability;
E. prediction error per trial (running mean of 10, averaged over repeats) across the switch,
   with the trial where that mean error is back below its pre-switch level (v), and in the
   legend the median over repeats of the same measure on each repeat's own error;
F. cosine between the "what" and "when" weight vectors at the end, per learner and repeat.

G-I. single manipulations (issue 22): three more runs of the shipped protocol, each with a
   switch at trial 150 that changes one property only (the ``--set`` commands of the
   protocol's header): G the identity of the outcomes (two outcomes, X after A and Y after
   B, swapped; one "what" readout each), H the latencies (swapped), I the probabilities
   (swapped). Per learner, the trials until each repeat's running mean error is back below
   its pre-switch level (dots; x: not within the run), their median (bar), and the
   recovery of the error averaged over repeats (in the tick label). The script prints in how many
   reservoirs the three-factor rule recovers within half of FORCE's trials.

J, K. error-modulated consolidation (``what_learning_rate = 2e-3``, half the plain rule's, with
   ``what_error_gain = 1``: the rate runs from half the plain rate to the plain rate as the
   recent "what" error grows to 1; gain 2 at the plain rate diverges in the first trials),
   three-factor only, against the plain rule, for the main switch and each single manipulation,
   on the same reservoirs (paired by a line): J the mean error over the trials before the
   switch, K the trials to recover.

Runs are cached (run folders under ``figures/cache/runs/``, their paths in
``figures/cache/fig_three_factor-*.json``), so re-plotting is instant; ``--fresh`` reruns.
Writes ``figures/out/fig_three_factor.png`` and prints the headline numbers. ``--toy``
runs everything at a toy size (50 neurons, a few trials, 2 repeats; a couple of minutes)
into ``figures/out/fig_three_factor_toy.png``, to check that the figure draws: its numbers
mean nothing.

Usage::

    python figures/fig_three_factor.py        # about 12 min on 2 cores, 3 runs for G-I (each like the main one), 4 for J-K (a third each)
    python figures/fig_three_factor.py --toy  # check that it draws
"""

from __future__ import annotations

import argparse
import json
import pathlib
import tomllib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.analysis.intervals import as_text
from bioplastic.plotting import save_figure
from bioplastic.plotting.prediction import aligned_predictions, switch_errors
from bioplastic.plotting.style import bioplastic_style
from bioplastic.experiments.prediction.summary import readouts_file
from bioplastic.runs import read_npz, to_toml, write_text

from _runs import cached_run

HERE = pathlib.Path(__file__).resolve().parent
PROTOCOL = HERE.parent / "protocols" / "three_factor_what_when.toml"
LABELS = {"three_factor": "three-factor", "force": "FORCE", "force_reset": "FORCE, P reset at switch"}
SWEEP = {"cues": ["A", "B", "C", "D"], "latencies_ms": [300.0, 400.0, 500.0, 600.0],
         "probabilities": [0.2, 0.4, 0.6, 0.8]}
# One property switched at a time: the --set commands of the protocol's header.
MANIPULATIONS = {
    "identity": ['prediction.task.outcomes=["X","Y"]', 'prediction.task.switch={outcomes=["Y","X"]}'],
    "latency": ["prediction.task.switch={latencies_ms=[600.0,300.0]}"],
    "probability": ["prediction.task.switch={probabilities=[0.75,0.25]}"],
}
# Error-modulated consolidation of "what" (the protocol header's option), three-factor only: the main
# switch and each single manipulation again, to compare with the plain rule on the same reservoirs.
# Half the base rate and gain 1: the rate runs from half the plain rate (no surprise) to the plain rate.
ERROR_MODULATED = ["prediction.readout.what_learning_rate=2e-3", "prediction.readout.what_error_gain=1.0",
                   'prediction.learners=["three_factor"]']
SETTING_TITLES = {"both": "latency and probability", "identity": "identity", "latency": "latency",
                  "probability": "probability"}
MANIPULATION_TITLES = {"identity": "identity only (A, B swap outcomes X, Y)", "latency": "latency only (300 <-> 600 ms)",
                       "probability": "probability only (0.25 <-> 0.75)"}
# --toy: every run at a size that only checks the figure draws.
TOY = ["prediction.trials=12", "prediction.switch_trial=6", "prediction.baseline_trials=3",
       "prediction.running_trials=3", "prediction.repeats=2", "prediction.reservoir.n_exc=40",
       "prediction.reservoir.n_inh=10"]
TOY_SWEEP = ["prediction.trials=8", "prediction.baseline_trials=4", "prediction.running_trials=2",
             "prediction.reservoir.n_exc=40", "prediction.reservoir.n_inh=10"]


def sweep_protocol() -> pathlib.Path:
    """The shipped protocol without its switch, with the four cues of ``SWEEP`` (written to the cache)."""
    raw = tomllib.loads(PROTOCOL.read_text())
    raw["name"] = "three_factor_probability_sweep"
    task = raw["prediction"]["task"]
    task.pop("switch")
    task.update(SWEEP)
    raw["prediction"].pop("switch_trial")
    raw["prediction"].update(learners=["three_factor", "force"], trials=400, repeats=1, baseline_trials=200)
    raw["plots"] = {}
    path = HERE / "cache" / "three_factor_probability_sweep.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, to_toml(raw))
    return path


def draw_recoveries(ax, run_dir: pathlib.Path, title: str):
    """Per learner: each repeat's trials to recover (dots; x at the top: never), their median (bar)."""
    spec = tomllib.loads((run_dir / "protocol.toml").read_text())["prediction"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    after = spec["trials"] - spec["switch_trial"]
    labels = []
    for position, name in enumerate(spec["learners"]):
        per_repeat = [summary["trials_to_recover"] for summary in metrics["details"][name]["seeds"].values()]
        found = [n for n in per_repeat if n is not None]
        offsets = np.linspace(-0.15, 0.15, len(per_repeat))
        color = f"C{position}"
        ax.scatter(position + offsets[:len(found)], found, s=30, color=color)
        if len(found) < len(per_repeat):
            ax.scatter(position + offsets[len(found):], np.full(len(per_repeat) - len(found), after), marker="x",
                       s=40, color=color)
        median = metrics[f"{name}_median_trials_to_recover"]
        if median is not None:
            ax.hlines(median, position - 0.3, position + 0.3, color=color, linewidth=2)
        pooled = metrics[f"{name}_trials_to_recover"]
        labels.append(f"{LABELS[name]}\n(mean error: {'never' if pooled is None else pooled})")
    ax.axhline(after, color="0.6", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(labels)), labels, fontsize="small")
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(0, 1.08 * after)
    ax.set_ylabel(f"trials to recover (trials; x: not in {after})")
    ax.set_title(title)


def per_repeat(run_dir: pathlib.Path, learner: str, key: str) -> list:
    """``key`` of every repeat of ``learner`` in a run's metrics (None where not measured)."""
    seeds = json.loads((run_dir / "metrics.json").read_text())["details"][learner]["seeds"]
    return [summary[key] for summary in seeds.values()]


def draw_modulation(ax, plain_dirs: dict, modulated_dirs: dict, key: str, ylabel: str, title: str):
    """Per switch setting, each repeat's ``key`` for the plain three-factor rule and with error-modulated
    consolidation (paired by a line: the same reservoir); x at the top: not measured (never recovered)."""
    pairs = {setting: (per_repeat(plain_dirs[setting], "three_factor", key),
                       per_repeat(modulated_dirs[setting], "three_factor", key)) for setting in plain_dirs}
    top = max([0.0] + [v for pair in pairs.values() for group in pair for v in group if v is not None])
    for index, (plain, modulated) in enumerate(pairs.values()):
        for a, b in zip(plain, modulated):
            ys = [1.1 * top if v is None else v for v in (a, b)]
            ax.plot([index - 0.15, index + 0.15], ys, color="0.7", linewidth=0.8, zorder=1)
            for x, v, y, color in ((index - 0.15, a, ys[0], "C0"), (index + 0.15, b, ys[1], "C3")):
                ax.scatter(x, y, s=30, color=color, marker="x" if v is None else "o", zorder=2)
    ax.scatter([], [], color="C0", label="three-factor")
    ax.scatter([], [], color="C3", label="error-modulated what")
    ax.set_xticks(range(len(plain_dirs)), [SETTING_TITLES[s] for s in plain_dirs], fontsize="small")
    ax.set_xlabel("what the switch changes (condition)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    ax.set_title(title)


def draw(main_dir: pathlib.Path, sweep_dir: pathlib.Path, manipulation_dirs: dict, modulated_dirs: dict) -> Figure:
    spec = tomllib.loads((main_dir / "protocol.toml").read_text())
    prediction = spec["prediction"]
    seed, switch, learners = spec["seed"], prediction["switch_trial"], prediction["learners"]
    cues = prediction["task"]["cues"]
    metrics = json.loads((main_dir / "metrics.json").read_text())
    fig = Figure(figsize=(16.0, 16.8), layout="constrained")
    (ax_tf, ax_force, ax_parts), (ax_amp, ax_err, ax_cos), row_manipulations, (ax_pre, ax_recover, ax_none) = \
        fig.subplots(4, 3)
    before = range(switch - prediction["baseline_trials"], switch)
    for ax, learner, letter in ((ax_tf, "three_factor", "A"), (ax_force, "force", "B")):
        data = read_npz(main_dir / readouts_file(learner, seed))
        aligned_predictions(data["readouts"], data["cue"], range(10), cues, ax=ax)
        for line in ax.lines:
            line.set_linewidth(0.8)
            line.set_alpha(0.5)
            line.set_label(f"{line.get_label()}, trials 1-10")
        ax.set_prop_cycle(None)
        aligned_predictions(data["readouts"], data["cue"], before, cues, prediction["task"]["latencies_ms"], ax=ax)
        ax.legend(fontsize="small", ncols=2)
        ax.set_title(f"{letter}. {LABELS[learner]}: prediction aligned to cue (seed {seed})")
    data = read_npz(main_dir / readouts_file("three_factor", seed))
    aligned_predictions(data["readouts"], data["cue"], before, cues, ax=ax_parts, which="when")
    colors = [line.get_color() for line in ax_parts.lines]
    for index, name in enumerate(cues):
        trials = np.asarray(before)[data["cue"][before] == index]
        ax_parts.plot(data["readouts"][trials, :, 1].mean(axis=0), color=colors[index], linestyle="--",
                      label=f"{name}: what")
    ax_parts.set_ylabel("readout (unitless)")
    ax_parts.legend(fontsize="small", ncols=2)
    ax_parts.set_title("C. three-factor readouts before the switch (solid: when)")

    probabilities, amplitudes, kinds = [], [], []
    for label, run_dir, phases in (("4 cues, no switch", sweep_dir, ("end",)),
                                   ("main run", main_dir, ("before_switch", "end"))):
        details = json.loads((run_dir / "metrics.json").read_text())["details"]["three_factor"]["seeds"]
        for summary in details.values():
            for phase in phases:
                for entry in summary["peaks"][phase].values():
                    probabilities.append(entry["probability"])
                    amplitudes.append(entry["amplitude"])
                    kinds.append(label)
    for label, marker in (("4 cues, no switch", "o"), ("main run", "s")):
        chosen = [i for i, kind in enumerate(kinds) if kind == label]
        ax_amp.scatter(np.asarray(probabilities)[chosen], np.asarray(amplitudes)[chosen], marker=marker, label=label)
    ax_amp.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=1, label="amplitude = probability")
    ax_amp.set_xlabel("outcome probability (fraction)")
    ax_amp.set_ylabel("peak of the mean prediction (unitless)")
    ax_amp.legend(fontsize="small")
    ax_amp.set_title("D. three-factor: amplitude follows probability")

    switch_errors({LABELS[name]: metrics["details"][name]["mean_errors"] for name in learners}, switch,
                  prediction["running_trials"], ax=ax_err)
    for line, name in zip(ax_err.lines, learners):
        recovered = metrics[f"{name}_trials_to_recover"]
        if recovered is not None:
            ax_err.plot(switch + recovered, line.get_ydata()[switch + recovered - prediction["running_trials"]],
                        marker="v", color=line.get_color(), markersize=8)
        after = len(line.get_ydata()) + prediction["running_trials"] - 1 - switch
        median = metrics[f"{name}_median_trials_to_recover"]
        line.set_label(f"{line.get_label()}: {f'not in {after}' if recovered is None else recovered} trials "
                       f"(median of repeats: {'never' if median is None else f'{median:g}'})")
    after_switch = max(float(np.max(line.get_ydata()[switch - prediction["running_trials"]:])) for line in ax_err.lines
                       if len(line.get_ydata()) > switch)
    ax_err.set_ylim(0, 1.3 * after_switch)   # the first trials, before any learning, are off scale
    ax_err.legend(fontsize="small")
    ax_err.set_title(f"E. error per trial (mean of {prediction['repeats']} repeats); v: back below pre-switch")

    for position, name in enumerate(learners):
        values = [summary["cosine_what_when"] for summary in metrics["details"][name]["seeds"].values()]
        ax_cos.scatter(np.full(len(values), position), values, s=40)
    ax_cos.axhspan(-0.2, 0.2, color="0.9", zorder=0, label="|cos| <= 0.2")
    ax_cos.axhline(0, color="0.4", linewidth=0.8)
    ax_cos.set_xticks(range(len(learners)), [LABELS[name] for name in learners], fontsize="small")
    ax_cos.set_ylim(-1, 1)
    ax_cos.set_ylabel("cos(w_what, w_when) (unitless)")
    ax_cos.legend(fontsize="small")
    ax_cos.set_title("F. what and when weight vectors at the end")

    for ax, (letter, (name, run_dir)) in zip(row_manipulations, zip("GHI", manipulation_dirs.items())):
        draw_recoveries(ax, run_dir, f"{letter}. {MANIPULATION_TITLES[name]}")
    plain_dirs = {"both": main_dir, **manipulation_dirs}
    draw_modulation(ax_pre, plain_dirs, modulated_dirs, "pre_switch_error",
                    f"mean error, {prediction['baseline_trials']} trials before the switch (unitless)",
                    "J. error-modulated consolidation: error before the switch")
    draw_modulation(ax_recover, plain_dirs, modulated_dirs, "trials_to_recover", "trials to recover (trials; x: never)",
                    "K. error-modulated consolidation: trials to recover")
    ax_none.axis("off")
    return fig


def half_force(run_dir: pathlib.Path, baseline: str) -> tuple:
    """``(repeats where the three-factor rule recovers in at most half the baseline's trials, repeats)``;
    a baseline that never recovers is counted as recovering at the run's end (all trials after the
    switch), the least it can have taken."""
    spec = tomllib.loads((run_dir / "protocol.toml").read_text())["prediction"]
    after = spec["trials"] - spec["switch_trial"]
    ours, theirs = per_repeat(run_dir, "three_factor", "trials_to_recover"), per_repeat(run_dir, baseline, "trials_to_recover")
    met = sum(a is not None and a <= (after if b is None else b) / 2 for a, b in zip(ours, theirs))
    return met, len(ours)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="rerun instead of using the cache")
    parser.add_argument("--toy", action="store_true", help="every run at a toy size: checks that the figure draws")
    args = parser.parse_args(argv)
    toy, toy_sweep = (TOY, TOY_SWEEP) if args.toy else ([], [])
    main_dir = cached_run("fig_three_factor", PROTOCOL, args.fresh, toy)
    sweep_dir = cached_run("fig_three_factor", sweep_protocol(), args.fresh, toy_sweep)
    manipulation_dirs = {name: cached_run("fig_three_factor", PROTOCOL, args.fresh, [*overrides, *toy])
                         for name, overrides in MANIPULATIONS.items()}
    modulated_dirs = {name: cached_run("fig_three_factor", PROTOCOL, args.fresh, [*overrides, *ERROR_MODULATED, *toy])
                      for name, overrides in {"both": [], **MANIPULATIONS}.items()}
    with bioplastic_style():
        out = save_figure(draw(main_dir, sweep_dir, manipulation_dirs, modulated_dirs),
                          HERE / "out" / ("fig_three_factor_toy.png" if args.toy else "fig_three_factor.png"))
    print(f"wrote {out}")
    metrics = json.loads((main_dir / "metrics.json").read_text())
    for name in LABELS:
        if f"{name}_peak_error_ms" in metrics:
            per_seed = [summary["trials_to_recover"] for summary in metrics["details"][name]["seeds"].values()]
            print(f"  {LABELS[name]}: peak error {metrics[f'{name}_peak_error_ms']:.1f} ms, amplitude ratio "
                  f"{metrics[f'{name}_amplitude_ratio']:.2f}, cos(what, when) {metrics[f'{name}_cosine_what_when']:+.3f}, "
                  f"recovery {metrics[f'{name}_trials_to_recover']} trials (mean error), per seed {per_seed}")
            repeats = metrics["details"][name]["seeds"].values()
            peak_errors = [max(abs(e["peak_ms"] - e["latency_ms"]) for e in r["peaks"]["before_switch"].values())
                           for r in repeats]
            print(f"    over repeats, mean +- 95% interval (n): peak error {as_text(peak_errors, digits=1)} ms, "
                  f"amplitude ratio {as_text([r['amplitude_ratio']['before_switch'] for r in repeats])}, "
                  f"cos(what, when) {as_text([r['cosine_what_when'] for r in repeats], digits=3)}")
    for manipulation, run_dir in manipulation_dirs.items():
        found = json.loads((run_dir / "metrics.json").read_text())
        parts = [f"{LABELS[name]} {found[f'{name}_trials_to_recover']} (per repeat "
                 f"{[s['trials_to_recover'] for s in found['details'][name]['seeds'].values()]})"
                 for name in LABELS if f"{name}_trials_to_recover" in found]
        print(f"  {manipulation} only, trials to recover (mean error): " + "; ".join(parts))
        for baseline in ("force", "force_reset"):
            met, n = half_force(run_dir, baseline)
            print(f"    three-factor within half of {LABELS[baseline]}'s trials in {met} of {n} reservoirs")
    for setting, run_dir in modulated_dirs.items():
        plain_dir = main_dir if setting == "both" else manipulation_dirs[setting]
        pre = [per_repeat(d, "three_factor", "pre_switch_error") for d in (plain_dir, run_dir)]
        recover = [per_repeat(d, "three_factor", "trials_to_recover") for d in (plain_dir, run_dir)]
        lower = sum(b < a for a, b in zip(*pre))
        print(f"  error-modulated what, switch of {SETTING_TITLES[setting]}: pre-switch error {as_text(pre[0], digits=4)} "
              f"-> {as_text(pre[1], digits=4)} (lower in {lower} of {len(pre[0])} reservoirs); trials to recover "
              f"{recover[0]} -> {recover[1]}")
    return out


if __name__ == "__main__":
    main()
