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

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A schema part: unknown keys forbidden, strict types (a string is not a number), no NaN or inf.

    Example
    -------
    >>> class Cell(Strict):
    ...     size: int
    >>> Cell(size=3).size
    3
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


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

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="used in run folder names")
    description: str = ""
    seed: int = Field(0, ge=0, description="the only source of randomness")
    plots: dict[str, PlotSpec] = Field(default_factory=dict)
