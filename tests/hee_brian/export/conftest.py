"""A protocol run of the demo model, shared by the export tests."""
import numpy as np
import pytest
from brian2 import Hz, ms

import hee_brian as hb
from hee_brian import models
from hee_brian.analysis.tuning import grating

R = 6  # repeats of each of the 2 conditions


@pytest.fixture(scope="package")
def protocol_run():
    """Blank 100 ms then a 45 or 135 deg grating for 150 ms, 6 repeats as streams."""
    model = models.build("demo", seed=1, rate_scale=40 * Hz)
    conditions = [[hb.Epoch("blank", 100 * ms),
                   hb.Epoch("grating", 150 * ms, grating((8, 8), th, 0.2, 0.0, 1.5),
                            theta=float(np.degrees(th)))] for th in (np.pi / 4, -np.pi / 4)]
    return model.run_protocol(hb.Protocol(conditions, repeats=R), seed=5,
                              record_every=0.5 * ms)
