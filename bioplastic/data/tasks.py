"""Task sequences for continual learning: permuted and split versions of a dataset.

Both functions take the dataset as two pairs -- ``images = (train_images,
test_images)`` and ``labels = (train_labels, test_labels)``, exactly what
:attr:`Dataset.images <bioplastic.data.dataset.Dataset.images>` and ``.labels`` give --
and return a list of :class:`Task`, each with its own train and test split and its
identity (``task_id`` and the ``permutation`` or ``classes`` that define it).

- :func:`permuted_tasks`: every task holds all examples with the pixels shuffled by one
  fixed permutation (Permuted MNIST); permutation ``t`` is drawn from
  ``jax.random.fold_in(key, t)``, so a key fixes the whole sequence, and task 0 is the
  identity when ``first_unpermuted``. Images keep their shape: the permutation acts on
  the flattened pixels and the result is reshaped back.
- :func:`split_tasks`: task ``t`` holds only the examples of ``class_pairs[t]`` (Split
  MNIST); labels stay the dataset's unless ``relabel``, which numbers them 0, 1, ...
  in the order the group lists them.
- :func:`dataset_tasks`: one task per dataset, in order (Fashion-MNIST then MNIST).
- :func:`hold_out`: each task's last training examples kept apart (a validation split).

Arrays are NumPy and read-only; dtypes are kept (uint8 images stay uint8).

Example
-------
>>> import jax, numpy as np
>>> from bioplastic.data.tasks import permuted_tasks, split_tasks
>>> x = (np.arange(24, dtype=np.uint8).reshape(6, 2, 2), np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
>>> y = (np.array([0, 1, 2, 3, 0, 1], np.uint8), np.array([2, 3], np.uint8))
>>> tasks = permuted_tasks(x, y, 3, jax.random.PRNGKey(0))
>>> [t.task_id for t in tasks], tasks[0].permutation.tolist()
([0, 1, 2], [0, 1, 2, 3])
>>> [t.train_y.tolist() for t in split_tasks(x, y, ((0, 1), (2, 3)))]
[[0, 1, 0, 1], [2, 3]]
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from bioplastic._checks import BadInput, check_size


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """One task of a sequence.

    Fields
    ------
    task_id : int
        Position in the sequence (0, 1, ...).
    train_x, train_y, test_x, test_y : numpy arrays
        The task's examples (same per-example shape and dtype as the dataset) and labels.
    permutation : numpy array or None
        For a permuted task: pixel ``i`` of the task's (flattened) image is pixel
        ``permutation[i]`` of the original.
    classes : tuple of int or None
        For a split task: the dataset classes it holds (label ``k`` after ``relabel``
        is ``classes[k]``).

    Example
    -------
    >>> x = (np.arange(24, dtype=np.uint8).reshape(6, 2, 2), np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
    >>> y = (np.array([0, 1, 2, 3, 0, 1], np.uint8), np.array([2, 3], np.uint8))
    >>> task = split_tasks(x, y, ((2, 3),), relabel=True)[0]
    >>> task.task_id, task.classes, task.train_y.tolist(), task.train_x.shape
    (0, (2, 3), [0, 1], (2, 2, 2))
    """

    task_id: int
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    permutation: np.ndarray | None = None
    classes: tuple[int, ...] | None = None


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)  # every array passed here is a fresh copy owned by the Task
    return array


def _split_pairs(images, labels):
    """Check ``images`` / ``labels`` are (train, test) pairs that fit together; return numpy arrays."""
    for value, where in ((images, "images"), (labels, "labels")):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise BadInput(where, type(value).__name__, "a pair (train, test) of arrays")
    train_x, test_x = (np.asarray(a) for a in images)
    train_y, test_y = (np.asarray(a) for a in labels)
    for x, y, split in ((train_x, train_y, "train"), (test_x, test_y, "test")):
        if x.ndim < 2:
            raise BadInput(f"images ({split})",
                           f"shape {x.shape}",
                           "(n_examples, ...) with at least one feature axis")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise BadInput(f"labels ({split})", f"shape {y.shape}", f"({x.shape[0]},), one label per image")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise BadInput("images",
                       f"train examples of shape {train_x.shape[1:]} and test examples of shape {test_x.shape[1:]}",
                       "the same shape")
    return train_x, train_y, test_x, test_y


def permuted_tasks(images, labels, n_tasks: int, key: jax.Array, first_unpermuted: bool = True) -> list[Task]:
    """``n_tasks`` tasks, each the whole dataset under one fixed pixel permutation.

    Parameters
    ----------
    images : (train_images, test_images)
        Arrays of shape ``(n, ...)``; the permutation acts on the flattened ``...``.
    labels : (train_labels, test_labels)
        Arrays of shape ``(n,)``; every task keeps them unchanged.
    n_tasks : int
        Number of tasks (>= 1).
    key : jax key
        Seed; permutation ``t`` comes from ``jax.random.fold_in(key, t)``.
    first_unpermuted : bool
        Task 0 uses the identity permutation (the original images).

    Returns
    -------
    list of Task
        With ``permutation`` set (int32, length = pixels per image) and ``classes=None``.

    Example
    -------
    >>> import jax, numpy as np
    >>> x = (np.arange(8, dtype=np.uint8).reshape(2, 4), np.arange(4, dtype=np.uint8).reshape(1, 4))
    >>> y = (np.array([0, 1]), np.array([1]))
    >>> t = permuted_tasks(x, y, 2, jax.random.PRNGKey(3))[1]
    >>> np.array_equal(t.train_x, x[0][:, t.permutation]), sorted(t.permutation.tolist())
    (True, [0, 1, 2, 3])
    """
    n_tasks = check_size(n_tasks, "n_tasks")
    train_x, train_y, test_x, test_y = _split_pairs(images, labels)
    n_pixels = int(np.prod(train_x.shape[1:]))
    tasks = []
    for task_id in range(n_tasks):
        if task_id == 0 and first_unpermuted:
            permutation = np.arange(n_pixels, dtype=np.int32)
        else:
            permutation = np.asarray(jax.random.permutation(jax.random.fold_in(key, task_id), n_pixels), dtype=np.int32)
        tasks.append(Task(
            task_id=task_id,
            train_x=_read_only(train_x.reshape(len(train_x), -1)[:, permutation].reshape(train_x.shape)),
            train_y=_read_only(train_y.copy()),
            test_x=_read_only(test_x.reshape(len(test_x), -1)[:, permutation].reshape(test_x.shape)),
            test_y=_read_only(test_y.copy()),
            permutation=_read_only(permutation),
        ))
    return tasks


def split_tasks(images, labels, class_pairs=((0, 1), (2, 3), (4, 5), (6, 7), (8, 9)), relabel: bool = False) -> list[Task]:
    """One task per group of classes in ``class_pairs``, holding only those classes' examples.

    Parameters
    ----------
    images : (train_images, test_images)
        Arrays of shape ``(n, ...)``.
    labels : (train_labels, test_labels)
        Integer class labels, shape ``(n,)``.
    class_pairs : sequence of sequences of int
        The classes of each task (pairs by default; any non-empty group of distinct classes
        present in the train labels).
    relabel : bool
        Number each task's labels 0, 1, ... in the order of its group (task-incremental
        heads) instead of keeping the dataset's labels.

    Returns
    -------
    list of Task
        With ``classes`` set and ``permutation=None``; examples keep their dataset order.

    Example
    -------
    >>> import numpy as np
    >>> x = (np.zeros((4, 2), np.uint8), np.zeros((2, 2), np.uint8))
    >>> y = (np.array([3, 1, 2, 3]), np.array([1, 3]))
    >>> t = split_tasks(x, y, [(3, 1)], relabel=True)[0]
    >>> t.classes, t.train_y.tolist(), t.test_y.tolist()
    ((3, 1), [0, 1, 0], [1, 0])
    """
    train_x, train_y, test_x, test_y = _split_pairs(images, labels)
    if not np.issubdtype(train_y.dtype, np.integer) or not np.issubdtype(test_y.dtype, np.integer):
        raise BadInput("labels", f"dtypes {train_y.dtype} and {test_y.dtype}", "integer class labels")
    present = set(np.unique(train_y).tolist())
    try:
        groups = [tuple(int(c) for c in group) for group in class_pairs]
    except (TypeError, ValueError):
        raise BadInput("class_pairs", f"{class_pairs!r}", "a sequence of groups of integer classes") from None
    if not groups:
        raise BadInput("class_pairs", "no groups", "at least one group of classes")
    tasks = []
    for task_id, group in enumerate(groups):
        if not group or len(set(group)) != len(group):
            raise BadInput(f"class_pairs[{task_id}]", group, "a non-empty group of distinct classes")
        absent = [c for c in group if c not in present]
        if absent:
            raise BadInput(f"class_pairs[{task_id}]",
                           f"class {absent[0]}, which has no training examples",
                           f"classes among {sorted(present)}")
        arrays = []
        for x, y in ((train_x, train_y), (test_x, test_y)):
            keep = np.isin(y, group)
            task_y = y[keep]
            if relabel:
                task_y = _relabel(task_y, group)
            arrays += [_read_only(x[keep]), _read_only(task_y)]
        tasks.append(Task(task_id, *arrays, permutation=None, classes=group))
    return tasks


def dataset_tasks(images, labels) -> list[Task]:
    """One task per dataset, in order (e.g. Fashion-MNIST, then MNIST).

    Parameters
    ----------
    images : sequence of (train_images, test_images)
        One pair per dataset; every dataset's examples must have the same shape.
    labels : sequence of (train_labels, test_labels)
        One pair per dataset, kept as they are.

    Returns
    -------
    list of Task
        With ``permutation=None`` and ``classes=None``.

    Example
    -------
    >>> first = (np.zeros((3, 2, 2), np.uint8), np.zeros((1, 2, 2), np.uint8))
    >>> second = (np.ones((2, 2, 2), np.uint8), np.ones((1, 2, 2), np.uint8))
    >>> tasks = dataset_tasks([first, second], [(np.array([0, 1, 2]), np.array([1])), (np.array([2, 0]), np.array([0]))])
    >>> [(t.task_id, len(t.train_y), int(t.train_x.max())) for t in tasks]
    [(0, 3, 0), (1, 2, 1)]
    >>> dataset_tasks([first, (np.ones((2, 4)), np.ones((1, 4)))], [(np.zeros(3), np.zeros(1)), (np.zeros(2), np.zeros(1))])
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: images[1]: got examples of shape (4,); allowed: the shape of dataset 0's: (2, 2)
    """
    if len(images) != len(labels) or not len(images):
        raise BadInput("images", f"{len(images)} datasets with {len(labels)} label sets", "one label pair per dataset, at least one")
    tasks = []
    for task_id, (pair, label_pair) in enumerate(zip(images, labels)):
        train_x, train_y, test_x, test_y = _split_pairs(pair, label_pair)
        if tasks and train_x.shape[1:] != tasks[0].train_x.shape[1:]:
            raise BadInput(f"images[{task_id}]", f"examples of shape {train_x.shape[1:]}",
                           f"the shape of dataset 0's: {tasks[0].train_x.shape[1:]}")
        tasks.append(Task(task_id, *(_read_only(np.array(a)) for a in (train_x, train_y, test_x, test_y))))
    return tasks


def _relabel(y: np.ndarray, group: tuple[int, ...]) -> np.ndarray:
    """Vectorised ``y -> index of y in group`` (every ``y`` is in ``group``)."""
    order = np.argsort(group)
    sorted_group = np.asarray(group)[order]
    return order[np.searchsorted(sorted_group, y)].astype(y.dtype)


def hold_out(tasks: list[Task], examples: int) -> tuple[list[Task], list[tuple[np.ndarray, np.ndarray]]]:
    """Hold the last ``examples`` training examples of every task out of its training set.

    The held-out examples are never trained on: they score choices made before the test
    sets are seen (a validation split). The tasks' test sets are passed on untouched and
    are not read.

    Parameters
    ----------
    tasks : list of Task
    examples : int
        Examples held out per task, fewer than each task's training examples.

    Returns
    -------
    kept : list of Task
        The tasks with their training sets shortened by ``examples`` (the same test sets).
    held_out : list of (images, labels)
        The held-out training examples of each task.

    Example
    -------
    >>> x = (np.arange(24, dtype=np.uint8).reshape(6, 2, 2), np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
    >>> y = (np.array([0, 1, 2, 3, 0, 1], np.uint8), np.array([2, 3], np.uint8))
    >>> kept, held_out = hold_out(split_tasks(x, y, ((0, 1), (2, 3))), 1)
    >>> [t.train_y.tolist() for t in kept], [labels.tolist() for _, labels in held_out], kept[1].test_y.tolist()
    ([[0, 1, 0], [2]], [[1], [3]], [2, 3])
    >>> hold_out(kept, 1)
    Traceback (most recent call last):
    ...
    bioplastic._checks.BadInput: examples: got 1 of task 1's 1 training examples; allowed: fewer than every task's training examples
    """
    examples = check_size(examples, "examples")
    kept, held_out = [], []
    for task in tasks:
        n = len(task.train_y)
        if examples >= n:
            raise BadInput("examples", f"{examples} of task {task.task_id}'s {n} training examples",
                           "fewer than every task's training examples")
        kept.append(dataclasses.replace(task, train_x=task.train_x[: n - examples], train_y=task.train_y[: n - examples]))
        held_out.append((task.train_x[n - examples:], task.train_y[n - examples:]))
    return kept, held_out
