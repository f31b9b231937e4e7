"""Training protocols (a ``[training]`` table): a layered network trained on a dataset, epoch by epoch.

Example
-------
>>> KIND.table, KIND.plots
('training', ('learning_curve',))
"""

from bioplastic.experiments.kind import Kind
from bioplastic.experiments.training.build import COUNTER_CURRENT_RULES, TRAINING_PLOTS, TRAINING_RULES, build_training
from bioplastic.experiments.training.run import TrainingWork
from bioplastic.experiments.training.schema import TrainingProtocol
from bioplastic.experiments.training.size import estimate_training


def _summary(experiment) -> str:
    training = experiment.protocol.training
    return (f"{training.rule}, {'-'.join(map(str, training.sizes))} network, {experiment.epochs} epochs of "
            f"{len(experiment.run.train_x)} {training.dataset} examples")


KIND = Kind("training", TrainingProtocol, build_training, estimate_training,
            TrainingWork, _summary, tuple(TRAINING_PLOTS),
            "a layered network trained on a dataset with a batch rule (DP, CCL, BP, EP, FA)",
            registries=(("training rules, network = 'mlp' ([training] protocols)", TRAINING_RULES),
                        ("training rules, network = 'counter_current_mlp' / '_cnn' / '_autoencoder'",
                         COUNTER_CURRENT_RULES)))
