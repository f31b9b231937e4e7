"""The size of a theta protocol before it is built: the environment's per-step inputs, tests, weights; its steps.

Example
-------
>>> from bioplastic.experiments.theta.schema import ThetaProtocol
>>> protocol = ThetaProtocol.model_validate({"name": "ring", "theta": {
...     "minutes": 1.0, "track": {"n_place_cells": 4}, "layers": {"hpc": {"size": 4}},
...     "connections": {"sensory": {"pre": "place", "post": "hpc", "plastic": False, "init": "identity"}},
...     "test": {"hold_s": 20.0, "episodes": 2, "spin_up_s": 10.0, "decoder_minutes": 1.0}}})
>>> estimate_theta(protocol).steps       # 1 min of 25-ms steps, twice (training, decoder fit), and 2 x 30 s of tests
7200
"""

from __future__ import annotations

from bioplastic.experiments.size import FLOAT32, Estimate
from bioplastic.experiments.theta.build import environment_inputs
from bioplastic.experiments.theta.schema import ThetaProtocol

WEIGHT_COPIES = 4          # weights, their filtered update trace, the update, the frozen copy of a transfer
STEP_COPIES = 2            # per-step arrays on the host and on the device


def estimate_theta(protocol: ThetaProtocol) -> Estimate:
    """Memory per key path and time steps of a theta protocol.

    Parameters
    ----------
    protocol : ThetaProtocol
        A validated theta protocol (not yet cross-checked; without exactly one environment it
        counts nothing, and the build step says what is wrong).

    Returns
    -------
    Estimate
        Parts: the per-step inputs, rates and losses of training (``theta.minutes``) and of the
        generative test (``theta.test.hold_s``), and the weights (``theta.connections``); steps:
        training, the decoder fit, the tests and the transfer, for every repeat.
    """
    spec = protocol.theta
    if (spec.latents is None) == (spec.track is None):
        return Estimate({}, 0, "theta.minutes", "time steps")
    inputs = environment_inputs(spec)
    sizes = {**inputs, **{name: layer.size for name, layer in spec.layers.items()}}

    def steps(seconds: float) -> int:
        return int(round(1000.0 * seconds / spec.dt_ms))

    per_step = (sum(sizes.values()) + len(spec.layers) + (spec.latents.n_latents if spec.latents else 1)) * FLOAT32
    test = spec.test
    if spec.track is not None:
        tests = steps(60.0 * test.decoder_minutes) + test.episodes * steps(test.spin_up_s + test.hold_s)
        test_steps = test.episodes * steps(test.spin_up_s + test.hold_s)
    else:
        tests = test_steps = steps(test.hold_s)
    train = steps(60.0 * spec.minutes)
    transfer = steps(60.0 * spec.transfer.minutes) + tests if spec.transfer is not None else 0
    weights = sum(sizes.get(c.pre, 0) * sizes.get(c.post, 0) for c in spec.connections.values())
    memory = {
        "theta.minutes": STEP_COPIES * max(train, steps(60.0 * (spec.transfer.minutes if spec.transfer else 0))) * per_step,
        "theta.test.hold_s": STEP_COPIES * test_steps * per_step,
        "theta.connections": WEIGHT_COPIES * weights * FLOAT32,
    }
    return Estimate(memory, spec.repeats * (train + tests + transfer), "theta.minutes", "time steps")
