"""Theta-gated wake-sleep in the hippocampal formation: losses, generation, path integration, ring, transfer.

Every panel comes from runs of the shipped protocols (``bioplastic.run_protocol``, as
``bioplastic run``): ``protocols/theta_latents.toml`` (experiment A) and
``protocols/theta_path_integration.toml`` (experiments B and C), each over its repeats.

A. experiment A: ``|r_B - r_A|`` of HPC and EC over training, smoothed over 60 s (first repeat);
B. autocorrelation of EC activity generated with theta held in the generative phase, beside
   the latents' (every repeat; the first repeat thick); dotted: exp(-1/2), where the lag is
   the autocorrelation time;
C. experiment B: the losses over training, and of the transfer's retraining (dashed);
D. decoded and true position in one test episode; sensory input removed at the dotted line;
E. EC recurrent weights, active units sorted by place-field peak;
F. mean weight against the offset between sorted units: recurrent, and the two halves of the
   conjunctive-velocity input (+v and -v cells) -- a ring with velocity-shifted inputs;
G. decoding error after the input is removed, mean over episodes and repeats: trained,
   untrained, and transferred (place cells remapped, EC apical weights frozen, retrained);
H. error 1, 2 and 5 s after removal, per repeat.

Runs are cached (run folders under ``figures/cache/runs/``), so re-plotting is instant;
``--fresh`` reruns. Writes ``figures/out/fig_theta_hippocampus.png`` and prints the
headline numbers.

Usage::

    python figures/fig_theta_hippocampus.py        # about 1 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np
from matplotlib.figure import Figure

from bioplastic.analysis.theta import circulant_profile, smoothed_loss
from bioplastic.analysis.intervals import as_text
from bioplastic.plotting import save_figure
from bioplastic.plotting.style import bioplastic_style
from bioplastic.plotting.theta import autocorrelations, decoded_path, error_curves, loss_curves, ring_weights
from bioplastic.experiments import load_protocol
from bioplastic.experiments.theta.build import build_theta
from bioplastic.runs import read_npz
from bioplastic.experiments.theta.summary import field_order, sorted_recurrent, stage_file

from _runs import cached_run

HERE = pathlib.Path(__file__).resolve().parent
LATENTS = HERE.parent / "protocols" / "theta_latents.toml"
TRACK = HERE.parent / "protocols" / "theta_path_integration.toml"


def experiment_of(run_dir: pathlib.Path):
    protocol, _ = load_protocol(run_dir / "protocol.toml")
    return build_theta(protocol, str(run_dir / "protocol.toml"))


def seeds(experiment) -> list:
    return [experiment.protocol.seed + index for index in range(experiment.spec.repeats)]


def losses(trained: dict, dt_ms: float, tau_s: float) -> dict:
    return {key.split("/", 1)[1]: smoothed_loss(values, dt_ms, tau_s) for key, values in trained.items()
            if key.startswith("mismatch/")}


def draw(latents_dir: pathlib.Path, track_dir: pathlib.Path) -> Figure:
    latents, track = experiment_of(latents_dir), experiment_of(track_dir)
    metrics_a = json.loads((latents_dir / "metrics.json").read_text())
    metrics_b = json.loads((track_dir / "metrics.json").read_text())
    fig = Figure(figsize=(19.0, 8.6), layout="constrained")
    (ax_la, ax_ac, ax_lb, ax_dec), (ax_w, ax_prof, ax_pi, ax_bar) = fig.subplots(2, 4)

    first_a = seeds(latents)[0]
    loss_curves(losses(read_npz(latents_dir / stage_file("train", first_a)), latents.spec.dt_ms,
                       latents.spec.smoothing_s), latents.spec.dt_ms, ax=ax_la)
    ax_la.set_title(f"A. latents: loss over training (fold, mean of {latents.spec.repeats}: HPC "
                    f"{metrics_a['hpc_loss_fold']:.1f}x, EC {metrics_a['ec_loss_fold']:.1f}x)", fontsize="medium")

    first = read_npz(latents_dir / stage_file("test", first_a))
    autocorrelations(first["generated_autocorrelation"], first["latent_autocorrelation"], latents.spec.dt_ms, ax=ax_ac)
    for seed in seeds(latents)[1:]:
        tested = read_npz(latents_dir / stage_file("test", seed))
        for key, style in (("generated_autocorrelation", "-"), ("latent_autocorrelation", "--")):
            lags_s = np.arange(len(tested[key])) * latents.spec.dt_ms / 1000.0
            ax_ac.plot(lags_s, tested[key], style, color="C0" if key.startswith("generated") else "C1", linewidth=0.8)
    ratios = [metrics_a["details"][str(seed)]["autocorrelation_ratio"] for seed in seeds(latents)]
    ax_ac.legend(fontsize="small")
    ax_ac.set_title("B. generated EC vs latents; time ratio per repeat " + ", ".join(f"{r:.2f}" for r in ratios),
                    fontsize="medium")

    first_b = seeds(track)[0]
    trained = read_npz(track_dir / stage_file("train", first_b))
    tested = read_npz(track_dir / stage_file("test", first_b))
    loss_curves(losses(trained, track.spec.dt_ms, track.spec.smoothing_s), track.spec.dt_ms, ax=ax_lb)
    transfer_file = track_dir / stage_file("transfer", first_b)
    if transfer_file.exists():
        colors = {line.get_label(): line.get_color() for line in ax_lb.lines}
        for layer, values in losses(read_npz(transfer_file), track.spec.dt_ms, track.spec.smoothing_s).items():
            ax_lb.plot(np.arange(len(values)) * track.spec.dt_ms / 60000.0, values, "--", color=colors[layer],
                       label=f"{layer}, transfer")
        ax_lb.legend(fontsize="small")
    ax_lb.set_title("C. path integration: loss over training (dashed: transfer)", fontsize="medium")

    decoded_path(tested["decoded_m"], tested["true_m"], track.spec.dt_ms, track.spec.test.spin_up_s, ax=ax_dec)
    ax_dec.set_title("D. decoded position from HPC; input removed at the dotted line", fontsize="medium")

    ring_weights(sorted_recurrent(track, trained), ax=ax_w)
    ax_w.set_title(f"E. EC recurrent weights, sorted (ring correlation {metrics_b['ring_correlation']:.2f})",
                   fontsize="medium")

    order = field_order(track, trained, "ec")
    velocity = trained["weights/velocity_input"]
    n = velocity.shape[0]
    blocks = {"recurrent": sorted_recurrent(track, trained), "+v cells": velocity[:, :n][np.ix_(order, order)],
              "-v cells": velocity[:, n:][np.ix_(order, order)]}
    for label, block in blocks.items():
        profile = circulant_profile(block)
        ax_prof.plot(np.arange(len(profile)) - len(profile) // 2, np.roll(profile, len(profile) // 2), label=label)
    ax_prof.axvline(0, color="0.6", linewidth=0.8)
    ax_prof.set_xlabel("offset j - i (sorted units)")
    ax_prof.set_ylabel("mean weight onto EC apical")
    ax_prof.legend(fontsize="small")
    ax_prof.set_title("F. weight profiles: local excitation, velocity inputs shifted", fontsize="medium")

    curves = {"trained": [], "untrained": [], "transferred": []}
    for seed in seeds(track):
        data = read_npz(track_dir / stage_file("test", seed))
        curves["trained"].append(data["trained_errors"])
        curves["untrained"].append(data["untrained_errors"])
        if (track_dir / stage_file("transfer", seed)).exists():
            curves["transferred"].append(read_npz(track_dir / stage_file("transfer", seed))["transferred_errors"])
    error_curves({name: np.concatenate(values) for name, values in curves.items() if values}, track.spec.dt_ms,
                 track.spec.test.spin_up_s, ax=ax_pi)
    ax_pi.set_title(f"G. error after input removal (mean of {track.spec.repeats} x {track.spec.test.episodes} "
                    "episodes)", fontsize="medium")

    times = track.spec.test.errors_at_s
    models = [name for name in ("trained", "untrained", "transferred") if f"{name}_error_at_{times[0]:g}s_m" in metrics_b]
    width = 0.8 / len(models)
    for index, model in enumerate(models):
        for position, when in enumerate(times):
            values = [metrics_b["details"][str(seed)][f"{model}_error_at_{when:g}s_m"] for seed in seeds(track)]
            x = position + (index - (len(models) - 1) / 2) * width
            ax_bar.bar(x, np.mean(values), width, color=f"C{index}", label=model if position == 0 else None)
            ax_bar.scatter(np.full(len(values), x), values, color="k", s=10, zorder=3)
    ax_bar.set_xticks(range(len(times)), [f"{when:g} s" for when in times])
    ax_bar.set_xlabel("time after the input is removed")
    ax_bar.set_ylabel("decoding error (m)")
    ax_bar.legend(fontsize="small")
    ax_bar.set_title("H. error per repeat (dots) and mean (bars)", fontsize="medium")
    return fig


# The numbers the README states, each over the protocol's repeats.
HEADLINE = ("ec_loss_fold", "hpc_loss_fold", "trained_error_at_1s_m", "trained_error_at_5s_m", "untrained_error_at_1s_m",
            "untrained_error_at_5s_m", "transferred_error_at_1s_m", "transfer_ratio_at_1s", "trained_gp_error_at_1s_m",
            "trained_gp_error_at_5s_m", "untrained_gp_error_at_1s_m", "untrained_gp_error_at_5s_m",
            "transferred_gp_error_at_1s_m", "ring_correlation")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="rerun instead of using the cache")
    args = parser.parse_args(argv)
    latents_dir = cached_run("fig_theta_hippocampus", LATENTS, args.fresh)
    track_dir = cached_run("fig_theta_hippocampus", TRACK, args.fresh)
    with bioplastic_style():
        out = save_figure(draw(latents_dir, track_dir), HERE / "out" / "fig_theta_hippocampus.png")
    print(f"wrote {out}")
    for label, run_dir in (("A (latents)", latents_dir), ("B/C (track)", track_dir)):
        metrics = json.loads((run_dir / "metrics.json").read_text())
        print(f"  {label}: " + ", ".join(f"{key} {value:.4g}" for key, value in metrics.items()
                                        if isinstance(value, float)))
        repeats = metrics["details"].values()
        print(f"    over repeats, mean +- 95% interval (n): " + ", ".join(
            f"{key} {as_text([repeat[key] for repeat in repeats], digits=3)}" for key in HEADLINE if key in metrics))
    return out


if __name__ == "__main__":
    main()
