"""bioplastic: a simulator for biologically plausible learning, on JAX and BrainPy.

Neurons (:mod:`bioplastic.neurons`), synapses (:mod:`bioplastic.synapses`) and the time
loop (:mod:`bioplastic.simulation`) are small pure pieces; a network runs as one
JIT-compiled, differentiable JAX program.

Example
-------
>>> import jax, jax.numpy as jnp
>>> import bioplastic as bp
>>> model = bp.neurons.LIF()
>>> params = model.params(tau_ref_ms=2.0)
>>> state = model.init(params, 4, jax.random.PRNGKey(0))
>>> _, rec = bp.simulate(model.step, state, 1000, params=params, dt=0.1,
...                      drive=bp.Constant(jnp.linspace(5.0, 30.0, 4)),
...                      probes={"count": bp.Probe("output", reduce="sum", stride=1000)})
>>> rec["count"][0].tolist()
[0.0, 3.0, 7.0, 10.0]
"""

from bioplastic._lazy import lazy_exports

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(__name__, {
    **{package: f"bioplastic.{package}" for package in ("neurons", "synapses", "rules", "networks")},
    "BadInput": "bioplastic._checks:BadInput",
    **{name: f"bioplastic.simulation:{name}" for name in ("simulate", "run_seeds", "Constant", "TimeSeries", "Poisson",
                                                            "Probe")},
})

__all__ = ["neurons", "synapses", "rules", "networks", "simulate", "run_seeds", "Constant", "TimeSeries", "Poisson", "Probe", "BadInput"]
