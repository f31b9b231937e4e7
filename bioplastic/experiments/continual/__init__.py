"""Continual protocols (a ``[continual]`` table): a spiking MLP trained on a sequence of tasks.

Example
-------
>>> KIND.table, KIND.plots
('continual', ('accuracy_matrix', 'task_accuracy'))
"""

from bioplastic.experiments.continual.build import CONTINUAL_METHODS, CONTINUAL_PLOTS, build_continual
from bioplastic.experiments.continual.run import ContinualWork
from bioplastic.experiments.continual.schema import ContinualProtocol
from bioplastic.experiments.kind import Kind
from bioplastic.experiments.continual.size import estimate_continual


def _summary(experiment) -> str:
    continual = experiment.protocol.continual
    return (f"{continual.method} with {continual.trainer}, {'-'.join(map(str, continual.sizes))} spiking network, "
            f"{continual.n_tasks} {continual.sequence} tasks of {len(experiment.run.data[0][0][0])} "
            f"{' then '.join(continual.dataset_names)} examples")


KIND = Kind("continual", ContinualProtocol, build_continual, estimate_continual,
            ContinualWork, _summary, tuple(CONTINUAL_PLOTS),
            "a spiking MLP trained on tasks one after another (HLOP, GPM, EWC, fine-tuning, multitask)",
            registries=(("continual methods and trainers ([continual] protocols)", CONTINUAL_METHODS),))
