"""Theta protocols (a ``[theta]`` table): two-compartment layers trained by theta-gated wake-sleep.

Example
-------
>>> KIND.table, KIND.plots[0]
('theta', 'theta_losses')
"""

from bioplastic.experiments.kind import Kind
from bioplastic.experiments.theta.build import THETA_PLOTS, build_theta
from bioplastic.experiments.theta.run import ThetaWork
from bioplastic.experiments.theta.schema import ThetaConnectionSpec, ThetaGateSpec, ThetaLayerSpec, ThetaProtocol
from bioplastic.experiments.theta.size import estimate_theta


def _build(protocol, file, data_dir=None):
    return build_theta(protocol, file)


def _summary(experiment) -> str:
    theta = experiment.protocol.theta
    layers = ", ".join(f"{name} ({layer.size})" for name, layer in theta.layers.items())
    return (f"{layers} on {'latents' if theta.latents else 'a track'}, {experiment.train_steps} steps of "
            f"{theta.dt_ms:g} ms, {theta.repeats} repeat(s){', then a transfer' if theta.transfer else ''}")


KIND = Kind("theta", ThetaProtocol, _build, estimate_theta,
            ThetaWork, _summary, tuple(THETA_PLOTS),
            "two-compartment layers trained by theta-gated wake-sleep on latents or a track",
            choices=(("theta.gate.shape", ThetaGateSpec, "shape"), ("theta.layers.NAME.kind", ThetaLayerSpec, "kind"),
                     ("theta.layers.NAME.*activation", ThetaLayerSpec, "basal_activation"),
                     ("theta.connections.NAME.compartment", ThetaConnectionSpec, "compartment"),
                     ("theta.connections.NAME.init", ThetaConnectionSpec, "init")))
