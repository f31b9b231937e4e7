"""The non-finite watch: the first floating-point leaf of a state that holds a NaN or inf.

Example
-------
>>> import jax.numpy as jnp
>>> nonfinite({"v": jnp.zeros(3), "w": jnp.array([1.0, jnp.inf])})
"['w']"
>>> nonfinite({"v": jnp.zeros(3), "count": jnp.array([1, 2])}) is None
True
"""

from __future__ import annotations

from typing import Optional

import jax
import numpy as np


def nonfinite(tree) -> Optional[str]:
    """The tree path (``jax.tree_util.keystr``) of the first float leaf with a NaN or inf, or None.

    Integer and boolean leaves are never non-finite and are skipped.

    Example
    -------
    >>> import numpy as np
    >>> nonfinite((np.ones(2), np.array([np.nan])))
    '[1]'
    """
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        array = np.asarray(leaf)
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            return jax.tree_util.keystr(path)
    return None
