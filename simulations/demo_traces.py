"""Rates and spikes of HEE latents while gratings are shown.

What it shows
    The demo model (``models/demo.py``: 64 pixels, 16 sparse latents with
    Gabor receptive fields at 8 orientations x 2 phases) sees a blank patch,
    then gratings of four orientations in turn.  The latents sample their
    posterior: their states x fluctuate (neural sampling), the ones whose
    Gabor matches the grating move away from 0, and their Poisson readout
    (rate = rate_scale * softplus(x)) fires accordingly.  The interneurons'
    average tracks the pixels' predicted mean A'(eta_0).

What it writes (to ``--out``, default ``output/demo_traces``)
    ``traces.png``   stimulus sequence, x traces, readout rates (Hz), spike
                     raster of all latents, pixel interneuron estimate
    ``recording.npz`` the recording (``hee_brian.Recording.save``)
    ``summary.json`` mean rate per latent and stimulus, device timings

How long it takes
    About 15 s with the default cpp_standalone device on a first run (10 s
    of it compiling; later runs reuse the compiled project), 1.5 s of
    simulated time.

Run ``python simulations/demo_traces.py --help`` for the options.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import Hz, ms  # noqa: E402

from hee_brian import models  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis.recordings import readout_rate  # noqa: E402
from hee_brian.analysis.tuning import grating  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="output/demo_traces", help="output folder")
    p.add_argument("--device", default="cpp_standalone",
                   help="runtime, numpy, cython, cpp_standalone or cuda_standalone")
    p.add_argument("--presentation", type=float, default=300.0, help="ms per stimulus")
    p.add_argument("--contrast", type=float, default=1.5, help="grating amplitude")
    p.add_argument("--rate-scale", type=float, default=20.0, help="readout rate scale (Hz)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = models.build("demo", device=args.device, seed=args.seed,
                         rate_scale=args.rate_scale * Hz)
    thetas = models.get("demo").ORIENTATIONS[::2]
    stimuli = np.array([np.zeros(64)] + [grating((8, 8), t, 0.2, 0.0, args.contrast)
                                         for t in thetas])
    labels = ["blank"] + [f"{np.degrees(t):.0f}°" for t in thetas]
    pres = args.presentation * ms
    print(f"demo: {len(stimuli)} stimuli x {args.presentation:g} ms on {args.device}",
          file=sys.stderr)
    t0 = time.perf_counter()
    rec = model.infer(stimuli, len(stimuli) * pres, presentation=pres, record_every=1 * ms)
    wall = time.perf_counter() - t0
    rec.save(out / "recording.npz")

    rates = readout_rate(model, rec.x[1])
    stim_index = np.minimum((rec.t / float(pres / ms * 1e-3)).astype(int), len(stimuli) - 1)
    mean_rate = np.array([rates[stim_index == k].mean(0) for k in range(len(stimuli))])
    shown = np.argsort(mean_rate[1:].max(0))[::-1][:4]  # the most driven latents

    sp = rec.spikes[1]
    axes = plotting.plot_sampling_traces(
        rec.t, rec.x[1], rates, sp.t, sp.i, sp.n, rec.eps[0][:, 27],
        np.arange(len(stimuli) + 1) * args.presentation * 1e-3, labels, shown,
        eps_label="interneuron mean, pixel 27", stimulus_title="stimulus (grating orientation)")
    plotting.save_figure(axes, out / "traces.png", dpi=120)

    summary = {
        "stimuli": labels,
        "mean_rate_hz": mean_rate.round(3).tolist(),
        "spikes": int(len(sp.t)),
        "wall_s": wall,
        "timings_s": {k: v for k, v in rec.info.items() if k in ("codegen", "compile", "run")},
        "device": args.device,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {out / 'traces.png'}, {out / 'recording.npz'}, {out / 'summary.json'} "
          f"({len(sp.t)} spikes, {wall:.1f} s)", file=sys.stderr)
    return summary


if __name__ == "__main__":
    main()
