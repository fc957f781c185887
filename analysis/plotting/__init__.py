"""Figures from recorded arrays, in the style of brian2tools' plotting functions.

Every ``plot_*`` function takes plain NumPy arrays -- floats in SI units:
times in seconds, rates in Hz, dt in seconds -- draws on ``axes`` (a new
figure is made when it is None) and returns the matplotlib ``Axes`` it drew
on (or an array of them for a figure of several panels).  Nothing here
saves or shows a figure: :func:`save_figure` writes one to a file.  Axes are
labelled with their units; a quantity measured in units of the neuron time
constant tau_x is passed in seconds together with ``tau`` (tau_x in
seconds), and shown in units of tau_x.

Modules (everything is importable from ``hee_brian.analysis.plotting``)
------------------------------------------------------------------------
* ``images``: :func:`tile_images` (the one image-tiling function),
  :func:`plot_image_grid`, :func:`plot_receptive_fields`,
  :func:`plot_receptive_field_grids`, :func:`plot_sample_grids`;
* ``traces`` (traces and spikes): :func:`plot_traces`, :func:`plot_rates`,
  :func:`plot_raster`, :func:`plot_stimulus_sequence`,
  :func:`shade_intervals`, :func:`plot_sampling_traces`,
  :func:`plot_onset_traces`;
* ``sampling`` (posterior sampling): :func:`plot_posterior_comparison`,
  :func:`plot_autocorrelation`, :func:`plot_chain_classes`,
  :func:`plot_score_bars`,
  :func:`plot_kl_vs_time`,
  :func:`plot_iat_histograms`, :func:`plot_sweep_map`,
  :func:`plot_adaptation_sweep`, :func:`plot_v1_speedup`,
  :func:`plot_posterior_accuracy`, :func:`plot_reference_check`;
* ``v1`` (V1 probes): :func:`plot_nx_ny`, :func:`plot_tuning_examples`,
  :func:`plot_orientation_tuning`, :func:`plot_sf_tuning`,
  :func:`plot_contrast_response`, :func:`plot_cdf_comparison`,
  :func:`plot_property_distribution`, :func:`plot_tuning_distributions`,
  :func:`plot_fano_onset`, :func:`plot_fano_time_course`,
  :func:`plot_variability_vs_contrast`, :func:`plot_variability`;
* ``learning``: :func:`plot_learning_curves`.

The figures of the simulation scripts are each one call of these
functions; the tests draw each with small arrays
(``tests/analysis/test_plotting.py``).
"""

from . import images, learning, sampling, traces, v1
from ._base import save_figure
from .images import *  # noqa: F401,F403
from .learning import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .traces import *  # noqa: F401,F403
from .v1 import *  # noqa: F401,F403

# every module's public functions, as the modules list them
__all__ = ["save_figure", *images.__all__, *traces.__all__, *sampling.__all__, *v1.__all__,
           *learning.__all__]
