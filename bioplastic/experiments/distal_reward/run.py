"""Running a distal-reward protocol: a minute of model time per unit of work, its history saved as it ends.

Each unit runs ``UNIT_S`` seconds of model time in 1-s compiled chunks
(:func:`~bioplastic.networks.distal_reward.run_seconds`) and writes that minute's history
(one row per second: the chosen weight, its rank and percentile, the weight percentiles,
both firing rates; the steps of every reward earned and released) to
``history/minute_<k>.npz``; the engine's checkpoint holds the network's state, so
``--resume`` goes on at the next minute, bit for bit. At the end the minutes are joined
into ``history.npz``, the final excitatory weights go to ``weights.npz``, and
``metrics.json`` and the plots are written.

Metrics
-------
- ``chosen_final_weight_mv``, ``chosen_final_rank`` (1 = largest; ties share it),
  ``chosen_final_percentile`` (% of the other weights below it);
- ``first_time_at_w_max_s``: the first second at whose end the chosen weight is at
  ``w_max`` (None if never); ``chosen_weight_at_60_min_mv``, ``chosen_rank_at_60_min``
  (runs of an hour or more: the paper's hour);
- ``others_at_w_max``: excitatory synapses other than the chosen one at ``w_max`` at the end;
- ``median_weight_mv``, ``p95_weight_mv``: of all excitatory weights at the end;
- ``rewards_earned``, ``rewards_released``, ``mean_exc_rate_hz``, ``mean_inh_rate_hz``;
- ``chosen_pre``, ``chosen_post``: the neurons the chosen synapse joins.
"""

from __future__ import annotations

import shutil

import numpy as np

from bioplastic.experiments.distal_reward.build import DistalRewardExperiment
from bioplastic.networks.distal_reward import HISTORY_KEYS, run_seconds
from bioplastic.plotting import save_figure
from bioplastic.plotting.distal_reward import distal_reward_panels
from bioplastic.plotting.style import bioplastic_style
from bioplastic.runs import Work, read_npz, write_npz

HISTORY = "history"          # the folder of the per-minute history files while the run goes on


def history_file(index: int) -> str:
    """The run-folder path of unit ``index``'s history.

    Example
    -------
    >>> history_file(2)
    'history/minute_0003.npz'
    """
    return f"{HISTORY}/minute_{index + 1:04d}.npz"


class DistalRewardWork(Work):
    """A distal-reward protocol's run: one unit per minute of model time; progress in simulated seconds.

    Example
    -------
    >>> from bioplastic.experiments.distal_reward.build import build_distal_reward_protocol
    >>> from bioplastic.experiments.distal_reward.schema import DistalRewardProtocol
    >>> protocol = DistalRewardProtocol.model_validate({"name": "dr", "distal_reward": {"seconds": 150}})
    >>> work = DistalRewardWork(build_distal_reward_protocol(protocol, "dr.toml"))
    >>> work.n_units, work.progress_at(2), work.progress_at(3), work.unit_name(2)
    (3, 120, 150, 'minute 3 of 3')
    """

    unit = "simulated s"

    def __init__(self, experiment: DistalRewardExperiment):
        self.experiment = experiment
        self.blocks_s = experiment.blocks_s
        self.n_units = len(self.blocks_s)

    def progress_at(self, units_done: int) -> float:
        return sum(self.blocks_s[:units_done])

    def unit_name(self, index: int) -> str:
        return f"minute {index + 1} of {self.n_units}"

    def start(self):
        return self.experiment.model.init(self.experiment.params)

    def run_unit(self, index, state, run_dir, advance):
        e = self.experiment
        state, history = run_seconds(e.model, e.params, state, self.blocks_s[index],
                                     on_chunk=lambda _, history: advance(len(history["time_s"])))
        (run_dir / HISTORY).mkdir(exist_ok=True)
        write_npz(run_dir / history_file(index), {name: np.asarray(history[name]) for name in HISTORY_KEYS})
        return state

    def finish(self, run_dir, state) -> dict:
        e = self.experiment
        minutes = [read_npz(run_dir / history_file(index)) for index in range(self.n_units)]
        history = {name: np.concatenate([minute[name] for minute in minutes]) for name in HISTORY_KEYS}
        weights = np.asarray(state.weights)
        pre, slot, post = (int(i) for i in e.params.chosen)
        write_npz(run_dir / "history.npz", history)
        write_npz(run_dir / "weights.npz", {"excitatory": weights, "chosen": np.array([pre, slot, post])})
        shutil.rmtree(run_dir / HISTORY)
        metrics = summarize(history, weights, (pre, slot, post), e.config.w_max)
        with bioplastic_style():
            for name, plot in e.protocol.plots.items():
                fig = distal_reward_panels(history, weights, e.config.w_max)
                fig.suptitle(plot.title or name)
                save_figure(fig, run_dir / f"{name}.png")
        return metrics


def summarize(history: dict, weights: np.ndarray, chosen: tuple, w_max: float) -> dict:
    """The metrics of the module docstring from a run's history and final weights.

    Example
    -------
    >>> history = {"time_s": np.array([1.0, 2.0, 3.0]), "chosen_weight": np.array([1.0, 4.0, 3.5]),
    ...            "chosen_rank": np.array([3, 1, 1]), "chosen_percentile": np.array([0.0, 100.0, 66.7]),
    ...            "exc_rate_hz": np.ones(3), "inh_rate_hz": np.ones(3), "earned_ms": np.array([500]),
    ...            "released_ms": np.array([], int)}
    >>> metrics = summarize(history, np.array([[3.5, 4.0], [0.0, 1.0]]), (0, 0, 1), w_max=4.0)
    >>> metrics["first_time_at_w_max_s"], metrics["others_at_w_max"], metrics["chosen_final_rank"]
    (2.0, 1, 1)
    """
    time_s, chosen_weight = np.asarray(history["time_s"]), np.asarray(history["chosen_weight"])
    pre, slot, post = chosen
    at_max = np.flatnonzero(chosen_weight >= w_max)
    hour = np.flatnonzero(time_s == 3600.0)
    return {
        "chosen_final_weight_mv": float(chosen_weight[-1]),
        "chosen_final_rank": int(history["chosen_rank"][-1]),
        "chosen_final_percentile": float(history["chosen_percentile"][-1]),
        "first_time_at_w_max_s": float(time_s[at_max[0]]) if at_max.size else None,
        "chosen_weight_at_60_min_mv": float(chosen_weight[hour[0]]) if hour.size else None,
        "chosen_rank_at_60_min": int(history["chosen_rank"][hour[0]]) if hour.size else None,
        "others_at_w_max": int(np.count_nonzero(weights >= w_max)) - int(weights[pre, slot] >= w_max),
        "median_weight_mv": float(np.median(weights)),
        "p95_weight_mv": float(np.percentile(weights, 95)),
        "rewards_earned": int(np.size(history["earned_ms"])),
        "rewards_released": int(np.size(history["released_ms"])),
        "mean_exc_rate_hz": float(np.mean(history["exc_rate_hz"])),
        "mean_inh_rate_hz": float(np.mean(history["inh_rate_hz"])),
        "chosen_pre": pre,
        "chosen_post": post,
    }
