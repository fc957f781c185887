"""hee-brian: the Hierarchical Exponential-family Energy-based model in Brian2.

Stochastic neurons sample the posterior of a hierarchical generative model
by Langevin dynamics; fast interneurons sample each layer's partition
function so learning is local with no negative phase; adaptation acts as
momentum (Dong & Wu, NeurIPS 2023).

>>> from brian2 import ms
>>> import hee_brian as hb
>>> model = hb.HEEModel([hb.Layer(16, "gaussian", sigma=0.5),
...                      hb.Layer(8, "sparse", lam=1.0, delta=0.2, s=3.0)],
...                     tau_x=10*ms, device="runtime", seed=1)
"""
from .errors import HEEParameterError, SimulationDiverged, install_excepthook
from .families import (ExponentialFamily, continuous_bernoulli, gaussian, make_family,
                       register_family, sparse, student_t)
from .model import Adaptation, HEEModel, Layer
from .protocol import Epoch, Protocol
from .recording import Recording, SpikeTrains
from .sweep import sweep

__version__ = "0.1.0"

install_excepthook()  # after Brian2's own hook (installed when brian2 is imported)

__all__ = [
    "HEEModel",
    "Layer",
    "Adaptation",
    "Recording",
    "Protocol",
    "Epoch",
    "SpikeTrains",
    "gaussian",
    "sparse",
    "student_t",
    "continuous_bernoulli",
    "make_family",
    "register_family",
    "ExponentialFamily",
    "sweep",
    "HEEParameterError",
    "SimulationDiverged",
]
