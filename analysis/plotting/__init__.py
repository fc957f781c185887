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
  :func:`plot_autocorrelation`, :func:`plot_kl_vs_time`,
  :func:`plot_iat_histograms`, :func:`plot_sweep_map`,
  :func:`plot_adaptation_sweep`, :func:`plot_v1_speedup`,
  :func:`plot_posterior_accuracy`;
* ``v1`` (V1 probes): :func:`plot_nx_ny`, :func:`plot_tuning_examples`,
  :func:`plot_cdf_comparison`, :func:`plot_tuning_distributions`,
  :func:`plot_fano_onset`, :func:`plot_variability_vs_contrast`,
  :func:`plot_variability`;
* ``learning``: :func:`plot_learning_curves`.

The figures of the simulation scripts are each one call of these
functions; the tests draw each with small arrays
(``tests/analysis/test_plotting.py``).
"""

from .images import (  # noqa: F401
    tile_images,
    plot_image_grid,
    plot_receptive_fields,
    plot_receptive_field_grids,
    plot_sample_grids,
)
from .traces import (  # noqa: F401
    plot_traces,
    plot_rates,
    plot_raster,
    shade_intervals,
    plot_stimulus_sequence,
    plot_sampling_traces,
    plot_onset_traces,
)
from .sampling import (  # noqa: F401
    plot_posterior_comparison,
    plot_autocorrelation,
    plot_kl_vs_time,
    plot_iat_histograms,
    plot_sweep_map,
    plot_adaptation_sweep,
    plot_v1_speedup,
    plot_posterior_accuracy,
)
from .v1 import (  # noqa: F401
    plot_nx_ny,
    plot_tuning_examples,
    plot_cdf_comparison,
    plot_tuning_distributions,
    plot_fano_onset,
    plot_variability_vs_contrast,
    plot_variability,
)
from .learning import (  # noqa: F401
    plot_learning_curves,
)
from ._base import (  # noqa: F401
    save_figure,
)

__all__ = [
    "save_figure",
    "tile_images",
    "plot_image_grid",
    "plot_receptive_fields",
    "plot_receptive_field_grids",
    "plot_sample_grids",
    "plot_traces",
    "plot_rates",
    "plot_raster",
    "plot_stimulus_sequence",
    "shade_intervals",
    "plot_sampling_traces",
    "plot_onset_traces",
    "plot_posterior_comparison",
    "plot_autocorrelation",
    "plot_kl_vs_time",
    "plot_iat_histograms",
    "plot_sweep_map",
    "plot_adaptation_sweep",
    "plot_v1_speedup",
    "plot_posterior_accuracy",
    "plot_nx_ny",
    "plot_tuning_examples",
    "plot_cdf_comparison",
    "plot_tuning_distributions",
    "plot_fano_onset",
    "plot_variability_vs_contrast",
    "plot_variability",
    "plot_learning_curves",
]
