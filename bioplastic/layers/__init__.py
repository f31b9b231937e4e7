"""Pure forward networks that batch-level rules differentiate: layered MLPs and counter-current pairs.

Example
-------
>>> import jax, jax.numpy as jnp
>>> from bioplastic.layers.mlp import init_layers, forward
>>> forward(init_layers(jax.random.PRNGKey(0), (4, 3)), jnp.ones((1, 4)), "relu")[-1].shape
(1, 3)
"""
