"""Runs and recordings: chains continued over several runs, and readout rates.

* :func:`chained_infer` -- ``model.infer`` once per block of stimuli, each
  run continuing the chain where the one before stopped (its
  ``final_state``), so a long experiment runs as several shorter
  simulations of one compiled network.  Tuning curves, reverse correlation
  and the long chains of the sampling studies all use it.
* :func:`readout_rate` -- the Poisson readout's rate (Hz) of recorded
  latent states: the model's readout nonlinearity times its rate scale.
"""
from __future__ import annotations

import numpy as np
from brian2 import second

__all__ = ["chained_infer", "readout_rate"]


def chained_infer(model, blocks, seeds, duration=None, presentation=None, initial_state=None,
                  **infer_kwds):
    """Run ``model.infer`` once per block, each run continuing the previous chain.

    Parameters
    ----------
    model : hee_brian.HEEModel
    blocks : iterable of ndarray
        The clamped stimuli of each run: one image (n_0,) or patches shown in
        sequence (k, n_0).
    seeds : iterable of int
        The seed of each run (one per block).
    duration : Quantity, optional
        Simulated time of each run; default ``presentation`` times the
        number of patches in the block (divided by ``streams``, if given).
    presentation : Quantity, optional
        Time each patch is shown.
    initial_state : dict, optional
        ``Recording.final_state`` the first run continues from (default: a
        fresh start).
    **infer_kwds
        Further keywords of ``model.infer`` (``layers``, ``spikes``,
        ``record_every``, ``record_adaptation``, ...).

    Yields
    ------
    Recording
        One per block, in order; ``rec.final_state`` starts the next run.
    """
    state = initial_state
    streams = infer_kwds.get("streams", 1)
    for block, seed in zip(blocks, seeds):
        block = np.asarray(block, dtype=float)
        # with B streams the patches of a block are shown B at a time
        dur = duration if duration is not None else presentation * (
            len(block) // streams if block.ndim == 2 else 1)
        rec = model.infer(block, dur, presentation=presentation, initial_state=state,
                          seed=seed, **infer_kwds)
        state = rec.final_state
        yield rec


def readout_rate(model, x):
    """Rate (Hz) of the model's Poisson readout for latent states ``x``.

    Parameters
    ----------
    model : hee_brian.HEEModel
    x : array_like
        Latent states (any shape), e.g. ``rec.x[1]``.

    Returns
    -------
    ndarray
        ``rate_scale * readout(x - rate_threshold)``, in Hz, same shape as ``x``.
    """
    from hee_brian.nonlinearities import readout_rate as rate

    return rate(model.readout, x, float(model.rate_scale * second), model.rate_threshold)
