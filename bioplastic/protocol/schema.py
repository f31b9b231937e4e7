"""The protocol schema: the single source of truth for what a protocol file may contain.

Pydantic v2 models with unknown keys forbidden and strict types (a number must be a
TOML number, not a string). Units are always in the key name -- ``dt_ms``, ``tau_ms``,
``current_mv``, ``rate_hz`` -- never in the value. ``bioplastic schema`` prints
the JSON Schema of every kind for editors.

Every protocol kind (``bioplastic.experiments``) has its own schema in its folder, built
from the shared parts here: :class:`Strict` (unknown keys forbidden, strict types, no
NaN or inf), :class:`ExperimentProtocol` (name, description, seed, plots) and :class:`PlotSpec`.

Example
-------
>>> plot = PlotSpec.model_validate({"type": "raster", "recording": "spikes"})
>>> plot.type, plot.title
('raster', None)
"""

from __future__ import annotations

import math
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_SEED = 2**32 - 1        # JAX's PRNGKey keeps 32 bits of a seed: 2**32 would draw what 0 draws
FLOAT32_MAX = 3.4028234663852886e38   # every number becomes a float32 array: a larger one would become inf
MAX_NAME_LENGTH = 200       # a run folder is NAME-YYYYmmdd-HHMMSS[-k], within the file systems' 255 bytes


class Strict(BaseModel):
    """A schema part: unknown keys forbidden, strict types (a string is not a number), no NaN or inf.

    Example
    -------
    >>> class Cell(Strict):
    ...     size: int
    ...     tau_ms: float = 20.0
    >>> Cell(size=3).size
    3
    >>> Cell(size=3, tau_ms=1e39)         # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Cell
    tau_ms
      Value error, a number within float32's range, at most 3.403e+38 in size [type=value_error, input_value=1e+39, input_type=float]
    ...
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _fits_float32(cls, value):
        """Refuse a number beyond float32's range (the arrays it becomes), as the user wrote it."""
        for number in _numbers(value):
            if math.isfinite(number) and abs(number) > FLOAT32_MAX:
                raise ValueError(f"a number within float32's range, at most {FLOAT32_MAX:.4g} in size")
        return value


def _numbers(value):
    """The floats in a field's value (inside lists and tables; not inside sub-models, which check their own)."""
    if isinstance(value, float):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)


class PlotSpec(Strict):
    """A figure written into the run folder.

    Most plots draw one ``recording`` (or several ``recordings`` side by side); a
    ``weight_matrix`` plot draws a ``projection`` instead.

    Example
    -------
    >>> plot = PlotSpec(type="raster", recording="spikes")
    >>> plot.recording, plot.recordings, plot.projection, plot.title
    ('spikes', None, None, None)
    """

    type: str = Field(description="raster | traces | population_rate | isi_histogram | weight_matrix")
    recording: Optional[str] = None
    recordings: Optional[list[str]] = Field(None, description="several recordings drawn side by side")
    projection: Optional[str] = Field(None, description="the projection of a weight_matrix plot")
    title: Optional[str] = None


class ExperimentProtocol(Strict):
    """What every experiment protocol ([training], [continual], [prediction], [theta]) has besides its own table."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=MAX_NAME_LENGTH, description="used in run folder names")
    description: str = ""
    seed: int = Field(0, ge=0, le=MAX_SEED, description="the only source of randomness (32 bits)")
    plots: dict[str, PlotSpec] = Field(default_factory=dict)
