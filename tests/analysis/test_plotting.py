"""The figure functions of analysis/plotting/, drawn with small arrays.

Each is called once with ``axes=None`` (it makes its own figure) and once
with axes it is given; both must return those axes, labelled with units,
holding the expected number of artists.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from hee_brian.analysis import generation as gen  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis import tuning, variability  # noqa: E402

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _given(nrows=1, ncols=1, **kw):
    return plt.subplots(nrows, ncols, **kw)[1]


# ----------------------------------------------------------------------
# images

def test_tile_images_layout_padding_and_scaling():
    imgs = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3) + 1
    canvas = plotting.tile_images(imgs, ncols=2)
    assert canvas.shape == (2, 2 * 3 + 1)
    assert np.array_equal(canvas[:, :3], imgs[0]) and np.array_equal(canvas[:, 4:], imgs[1])
    assert np.all(np.isnan(canvas[:, 3]))
    # flat images, a margin, a fixed grid larger than needed, +-max scaling
    canvas = plotting.tile_images(imgs.reshape(2, -1), shape=(2, 3), ncols=3, nrows=2,
                                  margin=1, scale="max-abs")
    assert canvas.shape == (2 + 2 * 3 - 1, 2 + 3 * 4 - 1)
    assert np.nanmax(np.abs(canvas)) == pytest.approx(1.0)
    assert np.isfinite(canvas).sum() == 2 * 6
    # more images than places: the first ones are kept
    assert np.isfinite(plotting.tile_images(np.ones((5, 2, 2)), ncols=2, nrows=1)).sum() == 8
    with pytest.raises(ValueError):
        plotting.tile_images(np.ones((3, 4)))


@pytest.mark.parametrize("given", [False, True])
def test_image_grid_and_receptive_fields(given):
    fields = rng.standard_normal((7, 4, 4))
    ax = plotting.plot_receptive_fields(fields, axes=_given() if given else None, title="RFs")
    assert isinstance(ax, Axes) and ax.get_title() == "RFs" and len(ax.images) == 1
    assert ax.images[0].get_clim() == (-1, 1)
    ax = plotting.plot_image_grid(fields.reshape(7, 16), (4, 4), axes=_given() if given else None,
                                  colorbar_label="pixel value (a.u.)")
    assert len(ax.images) == 1 and len(ax.figure.axes) == 2  # the colour bar


@pytest.mark.parametrize("given", [False, True])
def test_receptive_field_grids(given):
    axes = plotting.plot_receptive_field_grids(
        [rng.standard_normal((5, 3, 3)), rng.standard_normal((5, 3, 3))], ["a", "b"],
        axes=_given(1, 2) if given else None)
    assert len(axes) == 2 and [ax.get_title() for ax in axes] == ["a", "b"]


@pytest.mark.parametrize("given", [False, True])
def test_plot_sample_grid_returns_axes(given):
    samples = rng.random((12, 16))
    ax = gen.plot_sample_grid(samples, 4, axes=_given() if given else None, title="HEE",
                              ncols=5, nrows=2)
    assert isinstance(ax, Axes) and ax.get_title() == "HEE"
    im = ax.images[-1]
    assert im.get_clim() == (0, 1) and im.get_array().shape == (2 * 5 - 1, 5 * 5 - 1)
    assert np.isfinite(np.asarray(im.get_array(), dtype=float)).sum() == 10 * 16


@pytest.mark.parametrize("given", [False, True])
def test_sample_grids_share_a_colour_bar(given):
    axes = plotting.plot_sample_grids([rng.random((4, 16))] * 3, 4, ["a", "b", "c"],
                                      axes=_given(1, 3) if given else None,
                                      colorbar_label="ink (pixel value)")
    assert len(axes) == 3 and all(len(ax.images) == 1 for ax in axes)
    assert axes[0].figure.axes[-1].get_ylabel() == "ink (pixel value)"


# ----------------------------------------------------------------------
# traces and spikes

@pytest.mark.parametrize("given", [False, True])
def test_traces_rates_and_raster(given):
    t = np.arange(100) * 1e-3
    x = rng.standard_normal((100, 3))
    ax = plotting.plot_traces(t, x, axes=_given() if given else None, labels=["a", "b", "c"])
    assert len(ax.lines) == 3 and ax.get_xlabel() == "time (ms)"
    assert ax.lines[0].get_xdata()[-1] == pytest.approx(99.0)  # seconds shown in ms
    ax = plotting.plot_rates(t, np.abs(x), axes=_given() if given else None)
    assert ax.get_ylabel() == "readout rate (Hz)" and len(ax.lines) == 3
    ax = plotting.plot_traces(t, x[:, 0], tau=0.01)
    assert ax.get_xlabel() == "time (tau_x)" and ax.lines[0].get_xdata()[-1] == pytest.approx(9.9)
    spike_t = np.array([0.01, 0.02, 0.03, 0.05])
    spike_i = np.array([0, 2, 2, 1])
    ax = plotting.plot_raster(spike_t, spike_i, axes=_given() if given else None, n=4)
    assert len(ax.collections) == 1 and len(ax.collections[0].get_segments()) == 4
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylim() == (-0.5, 3.5)
    ax = plotting.plot_raster(spike_t, spike_i, axes=_given() if given else None, neurons=[2, 0])
    segs = ax.collections[0].get_segments()
    assert len(segs) == 3 and [tk.get_text() for tk in ax.get_yticklabels()] == ["2", "0"]
    assert segs[0][0][0] == pytest.approx(10.0)


@pytest.mark.parametrize("given", [False, True])
def test_stimulus_sequence_and_shading(given):
    ax = plotting.plot_stimulus_sequence([0, 0.1, 0.2], ["blank", "grating"],
                                         axes=_given() if given else None)
    assert len(ax.patches) == 2 and [t.get_text() for t in ax.texts] == ["blank", "grating"]
    assert ax.get_xlim() == (0.0, 200.0)
    plotting.shade_intervals(ax, [0.05], [0.06])
    assert len(ax.patches) == 3


@pytest.mark.parametrize("given", [False, True])
def test_sampling_traces_five_panels(given):
    t = np.arange(50) * 1e-3
    x = rng.standard_normal((50, 4))
    axes = plotting.plot_sampling_traces(
        t, x, np.abs(x), np.array([0.01, 0.02]), np.array([0, 3]), 4, x[:, 0],
        [0, 0.025, 0.05], ["blank", "0°"], [1, 2],
        axes=_given(5, 1, sharex=True) if given else None)
    assert len(axes) == 5
    assert [len(axes[k].lines) for k in (1, 2, 4)] == [2, 2, 1]
    assert axes[2].get_ylabel() == "readout rate (Hz)"
    assert axes[-1].get_xlabel() == "time (ms)"
    assert axes[3].get_title() == "Poisson spike trains of all 4 latents"


@pytest.mark.parametrize("given", [False, True])
def test_onset_traces(given):
    t = np.arange(200) * 1e-3
    x = rng.standard_normal((200, 5))
    axes = plotting.plot_onset_traces(t, x, np.array([0.005, 0.1, 0.19]), np.array([1, 3, 1]),
                                      [1, 3], presentation=0.02, n_show=4,
                                      axes=_given(2, 1) if given else None)
    assert len(axes[0].lines) == 2
    assert axes[0].lines[0].get_xdata().max() < 80  # only n_show presentations, in ms
    assert len(axes[1].collections[0].get_segments()) == 1  # spikes after 80 ms dropped
    assert len(axes[0].patches) == 2  # presentations 1 and 3 shaded
    assert axes[1].get_xlabel() == "time (ms)"


# ----------------------------------------------------------------------
# posterior sampling

@pytest.mark.parametrize("given", [False, True])
def test_posterior_comparison_has_error_bars(given):
    exact = np.linspace(-1, 1, 5)
    ax = plotting.plot_posterior_comparison(exact, exact + 0.01, np.full(5, 0.02),
                                            axes=_given() if given else None,
                                            quantity="variance", unit="a.u.^2")
    assert ax.get_xlabel() == "exact variance (a.u.^2)"
    assert len(ax.containers) == 1 and ax.containers[0].has_yerr


@pytest.mark.parametrize("given", [False, True])
def test_chain_classes(given):
    classes = rng.integers(0, 10, (3, 40))
    ax = plotting.plot_chain_classes(classes, 0.5, axes=_given() if given else None,
                                     title="joint")
    assert isinstance(ax, Axes) and ax.get_xlabel() == "time (tau_x)"
    assert ax.images[-1].get_extent()[1] == pytest.approx(20.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["chain 1", "chain 2", "chain 3"]


@pytest.mark.parametrize("given", [False, True])
def test_score_bars(given):
    ax = plotting.plot_score_bars(["a", "b", "c"], [1.0, 2.0, 0.5], errors=[0.1, 0.2, 0.05],
                                  references={"baseline": 1.5}, axes=_given() if given else None,
                                  xlabel="Frechet distance")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert [p.get_width() for p in ax.patches] == [1.0, 2.0, 0.5]
    assert ax.get_legend().get_texts()[0].get_text() == "baseline: 1.50"
    assert ax.get_xlabel() == "Frechet distance"


@pytest.mark.parametrize("given", [False, True])
def test_autocorrelation_and_kl(given):
    lags = np.arange(20) * 1e-3
    ax = plotting.plot_autocorrelation(lags, [np.exp(-np.arange(20) / 5.0), np.ones(10)],
                                       ["plain", "momentum"], axes=_given() if given else None,
                                       tau=0.01)
    assert len(ax.lines) == 3 and ax.get_xlabel() == "lag (tau_x)"
    # one lag array per curve (chains seen at different spacings), with 95 % bands
    ax = plotting.plot_autocorrelation([lags, lags[::5]], [np.exp(-np.arange(20) / 5.0),
                                                           np.exp(-np.arange(4))],
                                       ["joint", "marginal"], axes=_given() if given else None,
                                       tau=0.01, errors=[np.full(20, 0.02), None])
    assert len(ax.lines) == 3 and len(ax.collections) == 1
    np.testing.assert_allclose(ax.lines[1].get_xdata(), np.arange(4) * 0.5)
    ax = plotting.plot_kl_vs_time([lags, lags], [np.linspace(2, 0.05, 20)] * 2, ["a", "b"],
                                  axes=_given() if given else None, threshold=0.1, floor=0.02,
                                  tau=0.01, title="T")
    assert len(ax.lines) == 4 and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "time since start (tau_x)" and "nats" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 4


@pytest.mark.parametrize("given", [False, True])
def test_iat_histograms_and_sweep(given):
    ax = plotting.plot_iat_histograms([rng.random(10), rng.random(10)], ["a", "b"],
                                      axes=_given() if given else None, tau=1.0, bins=5)
    assert len(ax.patches) == 10 and ax.get_ylabel() == "number of latents"
    speed = np.array([[1.0, np.nan], [2.0, 3.0]])
    axes = plotting.plot_adaptation_sweep([3, 10], [0.03, 0.1], speed, speed * 5,
                                          axes=_given(1, 2) if given else None, tau=0.01)
    assert len(axes) == 2 and axes[0].get_ylabel() == "tau_a (tau_x)"
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["3", "10"]
    assert "broken" in [t.get_text() for t in axes[0].texts] and len(axes[1].texts) == 4


@pytest.mark.parametrize("given", [False, True])
def test_v1_speedup_and_accuracy(given):
    t = np.arange(5) * 0.01
    axes = plotting.plot_v1_speedup([t, t], [np.ones(5), np.ones(5) / 2],
                                    [rng.random(8), rng.random(8)], ["plain", "momentum"],
                                    axes=_given(1, 2) if given else None, threshold=0.1,
                                    floor=0.05, tau=0.01)
    assert len(axes[0].lines) == 4 and len(axes[1].patches) == 60
    curves = [("K = 4", "-", [0.025, 0.05], [0.01, 0.02], [1.0, 1.02]),
              ("K = 4, no noise budget", "--", [0.025, 0.05], [0.02, 0.04], [1.05, 1.1])]
    axes = plotting.plot_posterior_accuracy(curves, [2.5e-5, 5e-5], [0.01, 0.02], [500, 900],
                                            axes=_given(1, 3) if given else None, floor=0.005,
                                            tau=0.01, dt_title="dt sweep")
    assert len(axes[0].lines) == 3 and len(axes[1].lines) == 3
    assert axes[2].get_xlabel() == "dt (ms), tau_x = 10 ms"
    assert axes[2].lines[0].get_xdata()[0] == pytest.approx(0.025)
    assert len(axes[2].figure.axes) == 4  # the twin axis of the cost


# ----------------------------------------------------------------------
# V1 probes

@pytest.mark.parametrize("given", [False, True])
def test_nx_ny(given):
    ax = plotting.plot_nx_ny(rng.random(6), rng.random(6), axes=_given() if given else None)
    assert len(ax.collections) == 1 and len(ax.patches) == 1
    assert "periods" in ax.get_xlabel() and "(n=6)" in ax.get_legend().get_texts()[1].get_text()


def _tuning_data(n=5):
    thetas = np.arange(6) * np.pi / 6
    freqs = np.array([0.05, 0.1, 0.2, 0.4])
    phases = np.arange(2) * np.pi
    rates = rng.random((6, 4, 2, n)) * 10
    return thetas, freqs, phases, rates


@pytest.mark.parametrize("given", [False, True])
def test_tuning_examples(given):
    thetas, freqs, phases, rates = _tuning_data()
    props = tuning.tuning_properties(rates, thetas, freqs, phases)
    axes = plotting.plot_tuning_examples(thetas, freqs, rates, rates * 0.1,
                                         props["circular_variance"], window=0.1, n_show=3,
                                         axes=_given(2, 3) if given else None, title="tuning")
    assert axes.shape == (2, 3)
    assert [len(ax.lines) for ax in axes[0]] == [2, 2, 2]
    assert [len(ax.lines) for ax in axes[1]] == [1, 1, 1]
    assert axes[0, 0].get_ylabel() == "rate (Hz)" and axes[1, 0].get_xlabel() == "SF (cycles/pixel)"


@pytest.mark.parametrize("given", [False, True])
def test_tuning_distributions(given):
    thetas, freqs, phases, rates = _tuning_data(12)
    props = tuning.tuning_properties(rates, thetas, freqs, phases)
    comparison = tuning.compare_with_v1(props)
    axes = plotting.plot_tuning_distributions(props, comparison,
                                              axes=_given(1, 4) if given else None)
    assert len(axes) == 4
    assert all(len(ax.lines) == 2 for ax in axes)  # model step curve and reference
    assert axes[1].get_xlabel() == "orientation bandwidth (deg)"
    assert axes[0].get_title().startswith("KS similarity")
    b = comparison["circular_variance"]["binned_ks"]
    assert axes[0].get_title().endswith(f"binned KS {b['mean']:.2f} +- {b['sd']:.2f} "
                                        f"(ceiling {b['ceiling']:.2f})")
    ax = plotting.plot_cdf_comparison([1.0, np.nan, 2.0], xlabel="x (s)")
    assert len(ax.lines) == 1 and ax.get_ylabel() == "cumulative fraction"


@pytest.mark.parametrize("given", [False, True])
def test_variability_panels(given):
    before = rng.poisson(3, (40, 6)).astype(float)
    after = rng.poisson(5, (40, 6)).astype(float)
    onset = variability.onset_fano(before, after, n_boot=20)
    contrast = np.repeat([0.0, 0.5, 1.0, 2.0], 10)
    vs_c = variability.variability_vs_contrast(contrast, after, after / 5)
    axes = plotting.plot_variability(onset, vs_c, axes=_given(1, 2) if given else None)
    assert len(axes[0].patches) == 2 and axes[0].containers[-1].has_yerr
    assert axes[0].get_title().startswith("change")
    assert axes[1].get_xlabel() == "contrast (x natural patch)"
    assert len(axes[1].containers) == 1 and axes[1].containers[0].has_yerr  # Fano 95% CI
    twin = axes[1].figure.axes[-1]
    assert len(axes[1].figure.axes) == 3 and twin.containers[0].has_yerr  # x_std and its CI
    ax = plotting.plot_fano_onset(1.0, 0.8)
    assert len(ax.patches) == 2 and len(ax.containers) == 1  # bars, no error bar
    ax = plotting.plot_variability_vs_contrast([0, 1], [1.0, 0.9])  # no intervals: a line
    assert len(ax.lines) == 1 and not ax.containers


@pytest.mark.parametrize("given", [False, True])
def test_orientation_and_sf_tuning_curves(given):
    th = np.arange(12) * 15.0
    rates = 5 + 10 * np.exp(2 * (np.cos(2 * np.radians(th - [[30], [90]])) - 1))
    fine = np.arange(180.0)
    fit = 5 + 10 * np.exp(2 * (np.cos(2 * np.radians(fine - [[30], [90]])) - 1))
    axes = plotting.plot_orientation_tuning(th, rates, np.ones_like(rates), fit_curve=(fine, fit),
                                            axes=_given(1, 2) if given else None,
                                            labels=["a", "b"], bandwidth_deg=[20.0, np.nan])
    flat = np.ravel(axes)
    assert len(flat) == 2 and flat[0].get_title() == "a, half-width 20.0 deg"
    assert flat[1].get_title() == "b"
    for ax in flat:
        assert ax.containers[0].has_yerr and len(ax.lines) >= 1
        assert ax.get_xlabel() == "orientation (deg)" and ax.get_ylabel() == "rate (spikes/s)"
    ax = plotting.plot_orientation_tuning(th, rates[0], axes=_given() if given else None)
    assert isinstance(ax, Axes) and not ax.containers[0].has_yerr
    freqs = 0.5 * 2 ** (-np.arange(6)[::-1] / 2)
    axes = plotting.plot_sf_tuning(freqs, np.ones((3, 6)), 0.1 * np.ones((3, 6)),
                                   axes=_given(1, 3) if given else None,
                                   bandwidth_oct=[1.2, np.nan, 2.0])
    flat = np.ravel(axes)
    assert flat[0].get_xscale() == "log" and flat[1].get_title() == "unit 1, low/high-pass"
    assert flat[2].get_xlabel() == "spatial frequency (cycles/pixel)"
    assert flat[2].containers[0].has_yerr


@pytest.mark.parametrize("given", [False, True])
def test_contrast_response(given):
    c = np.array([0.0, 0.05, 0.1, 0.2, 0.4, 0.8])
    resp = tuning.naka_rushton(c, 20.0, 0.15, 2.0, 1.0)
    fit = tuning.fit_naka_rushton(c, resp)
    ax = plotting.plot_contrast_response(c, resp, np.full(6, 0.5), fit=fit,
                                         axes=_given() if given else None)
    curves = [ln for ln in ax.lines if ln.get_label().startswith("Naka-Rushton")]
    assert isinstance(ax, Axes) and ax.containers[0].has_yerr and len(curves) == 1
    np.testing.assert_allclose(curves[0].get_ydata()[-1], resp[-1], rtol=1e-6)
    assert ax.get_xlabel() == "contrast" and ax.get_ylabel() == "response (spikes/s)"
    assert "c50 0.15" in ax.get_legend().get_texts()[0].get_text()
    # a non-responding fit draws no curve
    ax = plotting.plot_contrast_response(c, np.ones(6), fit=tuning.fit_naka_rushton(c, np.ones(6)))
    assert not [ln for ln in ax.lines if ln.get_label().startswith("Naka-Rushton")]


@pytest.mark.parametrize("given", [False, True])
def test_fano_time_course(given):
    t = np.arange(-0.2, 0.31, 0.05)
    fano = np.where(t < 0, 1.5, 1.1)
    ci = np.stack([fano - 0.1, fano + 0.1], axis=1)
    ax = plotting.plot_fano_time_course(t, fano, ci, raw=fano + 0.2, raw_ci=ci + 0.2,
                                        axes=_given() if given else None,
                                        prediction_text="sampling: falls at onset")
    assert isinstance(ax, Axes) and len(ax.collections) == 2  # the two shaded intervals
    assert ax.lines[0].get_xdata()[0] == pytest.approx(-200.0)  # ms from onset
    assert "ms" in ax.get_xlabel() and "Fano factor" in ax.get_ylabel()
    assert ax.texts[0].get_text() == "sampling: falls at onset"


@pytest.mark.parametrize("given", [False, True])
def test_property_distribution(given):
    from hee_brian.analysis import v1_data

    bins, probs, _, _ = v1_data.reference_histogram("orientation_bandwidth_deg")
    ax = plotting.plot_property_distribution([10.0, 20.0, 25.0, 120.0, np.nan], bins, probs,
                                             score=0.71, score_sd=0.05,
                                             axes=_given() if given else None,
                                             xlabel="orientation half-width (deg)")
    heights = [p.get_height() for p in ax.patches[:len(bins) - 1]]
    assert sum(heights) == pytest.approx(1.0) and heights[-1] == pytest.approx(0.25)  # 120 clipped
    assert ax.get_xlabel() == "orientation half-width (deg)"
    assert ax.get_ylabel() == "fraction of cells"
    assert ax.get_title().endswith("0.71 +- 0.05") and "Marques" in ax.get_title()


# ----------------------------------------------------------------------
# learning, saving

@pytest.mark.parametrize("given", [False, True])
def test_learning_curves(given):
    ax = plotting.plot_learning_curves([[0, 10, 20], [0, 10]], [[10, 20, 30], [5, 6]], ["a", "b"],
                                       axes=_given() if given else None,
                                       ylabel="Gabor-like fields (%)", ylim=(0, 100), title="T")
    assert len(ax.lines) == 2 and ax.get_ylim() == (0, 100)
    assert ax.get_xlabel() == "patches presented" and ax.get_title() == "T"


def test_save_figure_accepts_axes(tmp_path):
    axes = plotting.plot_receptive_field_grids([np.ones((2, 2, 2))] * 2, ["a", "b"])
    path = plotting.save_figure(axes, tmp_path / "f.png", dpi=50)
    assert path.stat().st_size > 0
    assert not plt.fignum_exists(axes[0].figure.number)


@pytest.mark.parametrize("given", [False, True])
def test_reference_check(given):
    v = [np.array([1.2, 0.9, 1.0]), np.array([1.0, 1.01, 0.99])]
    axes = plotting.plot_reference_check(v, [[1.9, 1.5], [1.0, 1.02]], [[0.9, 1.0], [1.0, 1.0]],
                                         ["default", "candidate"],
                                         axes=_given(1, 2) if given else None)
    # one curve per set on the left (sorted), stiffest and flattest per set on the right
    assert len(axes[0].lines) == 2 + 1 and len(axes[1].lines) == 4 + 1
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), [0.9, 1.0, 1.2])
    np.testing.assert_allclose(axes[1].lines[2].get_xdata(), [1, 2])
    np.testing.assert_allclose(axes[1].lines[1].get_xdata(), [4, 5])
    assert axes[0].get_ylabel() == "sampled / reference variance"
