"""hee-brian's errors are its own: plain messages, the parameter named, the time given."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from brian2 import Hz, ms

import hee_brian as hb

BANNER = "Brian 2 encountered an unexpected error"


@pytest.mark.parametrize("statement, named", [
    ('hb.Layer(8, "sparse", lamda=1.0)', "'lamda' (did you mean 'lam'?)"),
    ('hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(3, "sparse", lam=5.0)])',
     "delta=0.1 (default)"),
    ('hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), '
     'hb.Layer(3, "sparse", lam=1.0, delta=0.2)], tau_x=-1*ms)', "tau_x"),
])
def test_uncaught_parameter_error_has_no_brian_banner_and_leaves_no_debug_files(
        statement, named, tmp_path):
    code = textwrap.dedent(f"""
        from brian2 import ms
        import hee_brian as hb
        {statement}
    """)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode != 0
    assert "HEEParameterError" in out.stderr and named in out.stderr
    assert BANNER not in out.stderr
    assert not list(tmp_path.glob("brian_*")), "Brian2 kept debug files"


def test_other_uncaught_errors_still_reach_brian2s_hook(tmp_path):
    """Only hee-brian's own errors bypass Brian2's hook."""
    code = "import hee_brian\nraise RuntimeError('from elsewhere')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, TMPDIR=str(tmp_path)), timeout=300)
    assert out.returncode != 0 and BANNER in out.stderr


def _linear(**kwds):
    m = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(3, "gaussian", sigma=1.0)],
                    tau_x=10 * ms, seed=2, **kwds)
    m.set_weights(W=[np.random.default_rng(0).normal(size=(4, 3))])
    return m


@pytest.mark.parametrize("device", ["cpp_standalone", "runtime"])
def test_divergence_is_reported_when_it_happened_not_at_the_end_of_the_chunk(device):
    """Patch 6 of 8 is absurdly large: the state leaves the bound within a step of
    its onset at 10 ms, in the second chunk of 4 patches (8 ms to 16 ms)."""
    data = np.random.default_rng(1).normal(size=(8, 4))
    data[5] = 1e12
    m = _linear(device=device)
    with pytest.raises(hb.SimulationDiverged) as err:
        m.learn(data, presentation=2 * ms, chunk=4, eta_w=1 * Hz, progress=False)
    assert 10e-3 <= err.value.time <= 10e-3 + 2 * m.dt_s, err.value.time
    assert "x of layer 1" in err.value.variable
    # inference: the same patch sequence, one run, recorded every 1 ms
    with pytest.raises(hb.SimulationDiverged) as err:
        _linear(device=device).infer(data, 16 * ms, presentation=2 * ms)
    assert 10e-3 <= err.value.time <= 10e-3 + 2 * m.dt_s, err.value.time


def test_missing_optional_dependency_names_what_needs_it_and_how_to_install():
    from hee_brian.errors import import_optional

    json_, path = import_optional(("json", "os.path"), "unused")
    assert json_ is sys.modules["json"] and path is os.path
    with pytest.raises(ImportError, match="^the feature needs it: pip install it$") as info:
        import_optional(("json", "hee_brian_no_such_module"),
                        "the feature needs it: pip install it")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
