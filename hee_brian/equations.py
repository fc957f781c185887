"""Brian2 equation strings of the HEE model (docs/model.md sections 2-5).

Every population of the model is written here, once, as a Brian2 equation
string built from its layer's exponential family:

* latent neurons (layer l >= 1): Langevin dynamics on the log joint, with an
  adaptation current ``a`` and a Poisson spiking readout;
* the observation layer (l = 0): clamped to the stimulus during inference and
  learning, free (its own conditional) during joint generation;
* interneurons (the normalizer population, one group per layer, K per
  neuron): fast Langevin on the layer's conditional alone, so that their
  average ``epsbar`` fluctuates around A'(eta);
* one ``Synapses`` object per layer pair holding W, with the top-down and
  bottom-up summed variables and the local plasticity.

Model parameters (time constants, family parameters, m, temperature, rates)
are shared constant group variables rather than numbers baked into the code,
so a compiled standalone project can be re-run with new values through
``run_args`` without recompiling.
"""
from __future__ import annotations

from .families import ExponentialFamily
from .nonlinearities import Phi, readout_expr

__all__ = [
    "PRE_ERROR",
    "POST_OUTPUT",
    "model_equations",
    "DIVERGENCE_BOUND",
    "DIVERGENCE_WATCH",
    "DIVERGENCE_WATCH_VARIABLE",
    "GATE_UPDATE",
    "family_parameters",
    "latent_neuron_equations",
    "observation_equations",
    "interneuron_equations",
    "projection_equations",
    "averaging_equations",
    "shared_weight_equations",
    "stream_projection_equations",
    "hebbian_equations",
]

#: Marginal generation's gate: time runs in stages of ``stage_dt``, stage k
#: of every cycle of ``n_stages`` (= L + 1) moving the layer whose ``stage``
#: is k.  The gate is a variable set at the start of every step by
#: :data:`GATE_UPDATE` (``timestep(t, stage_dt)`` is the stage index), so the
#: schedule needs no table sized by the run's duration.
_GATE = """gate : 1  # 1 while this layer's stage runs (GATE_UPDATE, every step)
stage : 1 (shared, constant)
stage_dt : second (shared, constant)
n_stages : integer (shared, constant)"""

#: |x| beyond which a state counts as diverged.
DIVERGENCE_BOUND = 1e6

#: Declaration and end-of-step code that record, per neuron, the first time
#: its state stopped being finite (or left the bound); -1 s until then.
#: ``SimulationDiverged`` reports that time, not the end of the run.
DIVERGENCE_WATCH_VARIABLE = (
    "t_diverged : second  # first time x left the finite range (-1 s: never)")
DIVERGENCE_WATCH = ("t_diverged = t_diverged + (t - t_diverged)*int(t_diverged < 0*t)"
                    f"*int(not (abs(x) < {DIVERGENCE_BOUND:g}))")

#: Code run at the start of every step of a gated (marginal generation) layer.
GATE_UPDATE = "gate = int(timestep(t, stage_dt) % n_stages == stage)"


def _epsbar_line(family: ExponentialFamily, closed_form: bool) -> str:
    """epsbar: the mean of the layer's interneurons, or A'(eta) in closed form."""
    if closed_form:
        return f"epsbar = {family.mean_expr('eta')} : 1  # A'(eta) in closed form (no interneurons)"
    return "epsbar : 1  # mean of this layer's interneurons, ~ A'(eta)"


def family_parameters(family: ExponentialFamily) -> str:
    """Declarations of a family's parameters as shared constant variables."""
    return "\n".join(f"{p} : 1 (shared, constant)" for p in family.equation_params())


def _input_lines(top: bool) -> str:
    """Eta = W phi(x_above) + b; the top layer has only its bias (eta_L = b_L)."""
    if top:
        return "eta = b : 1"
    return "eta = td + b : 1\ntd : 1  # W phi(x_above), summed by the projection above"


def _bias_line(learn_bias: bool) -> str:
    """The bias, learned locally as db/dt = eta_b (x - epsbar) when learning."""
    if learn_bias:
        return "db/dt = eta_b*(x - epsbar) : 1\neta_b : Hz (shared, constant)"
    return "b : 1 (constant)"


def latent_neuron_equations(
    family: ExponentialFamily,
    phi: Phi,
    *,
    top: bool,
    likelihood: bool = True,
    adaptation: str | None = None,
    learn_bias: bool = False,
    readout: str = "softplus",
    gated: bool = False,
    closed_form: bool = False,
) -> str:
    """Equations of a latent layer's neurons (x, adaptation a, readout rate).

    Parameters
    ----------
    family : ExponentialFamily
        The layer's conditional family; supplies g'(x).
    phi : Phi
        Output nonlinearity sent down to the layer below.
    top : bool
        Whether this is the top layer (its eta is its bias alone).
    likelihood : bool
        Include the likelihood current from the layer below (off in marginal
        generation, where each layer samples its conditional only).
    adaptation : {None, "momentum", "activity"}
        ``momentum``: tau_a da/dt = -a - m I + sqrt(2 m tau_x) xi_a, which
        leaves the target marginal of x exactly invariant (docs/model.md section 4);
        ``activity``: tau_a da/dt = -a + m g'(x), no noise, no I (biased).
    learn_bias : bool
        Add the local bias plasticity.
    readout : str
        Named rate nonlinearity of the Poisson spiking readout.
    gated : bool
        Multiply the dynamics by ``gate`` (marginal generation holds layers
        fixed while the layers below settle).
    closed_form : bool
        ``epsbar`` is A'(eta) in closed form instead of the interneurons' mean.
    """
    gp = family.gprime_expr("x")
    lik = "dphi*lik" if likelihood else "0"
    g = "gate*" if gated else ""
    lines = [
        f"dx/dt = {g}(I - a)/tau_x + {g}sqrt(2*temperature*noise_budget/tau_x)*xi_x : 1",
        f"I = {lik} + eta - ({gp}) : 1  # likelihood from below + prior from above",
    ]
    if adaptation == "momentum":
        lines.append(
            "da/dt = (-a - m*I)/tau_a + sqrt(2*temperature*m*tau_x)/tau_a*xi_a : 1"
        )
    elif adaptation == "activity":
        lines.append(f"da/dt = (-a + m*({gp}))/tau_a : 1  # activity-driven, no noise")
    else:
        lines.append("a : 1 (constant)  # no adaptation")
    if adaptation is not None:
        lines += ["m : 1 (shared, constant)", "tau_a : second (shared, constant)"]
    if likelihood:
        lines.append("lik : 1  # W^T (x_below - epsbar_below), summed by the projection below")
    lines += [
        _input_lines(top),
        _bias_line(learn_bias),
        _epsbar_line(family, closed_form),
        f"phix = {phi.expr} : 1",
        f"dphi = {phi.dexpr} : 1",
        f"rate = {readout_expr(readout)} : Hz  # Poisson readout",
        "rate_scale : Hz (shared, constant)",
        "rate_threshold : 1 (shared, constant)",
        "tau_x : second (shared, constant)",
        "temperature : 1 (shared, constant)",
        "noise_budget : 1 (constant)  # own-noise share left by the interneurons",
        family_parameters(family),
    ]
    if gated:
        lines.append(_GATE)
    return "\n".join(lines)


def observation_equations(
    family: ExponentialFamily,
    *,
    clamped: bool,
    top: bool = False,
    learn_bias: bool = False,
    gated: bool = False,
    closed_form: bool = False,
) -> str:
    """Equations of the observation layer (layer 0).

    Clamped, ``x`` is the stimulus presented through the ``stimulus``
    ``TimedArray``; free (generation), ``x`` samples its own conditional
    p(x_0 | eta_0) by Langevin dynamics with time constant tau_x.
    """
    g = "gate*" if gated else ""
    if clamped:
        lines = [
            "x = stimulus(timestep(t, presentation)*second, i) : 1  # clamped to patch "
            "number t // presentation",
            "presentation : second (shared, constant)  # time each patch is shown",
        ]
    else:
        gp = family.gprime_expr("x")
        lines = [
            f"dx/dt = {g}(eta - ({gp}))/tau_x + {g}sqrt(2*temperature/tau_x)*xi_x : 1",
            "temperature : 1 (shared, constant)",
        ]
    lines += [
        _input_lines(top),
        _bias_line(learn_bias),
        _epsbar_line(family, closed_form),
        "tau_x : second (shared, constant)",
        family_parameters(family),
    ]
    if gated:
        lines.append(_GATE)
    return "\n".join(lines)


def interneuron_equations(family: ExponentialFamily, *, top: bool) -> str:
    """Equations of a layer's interneurons (the normalizer population).

    tau_eps deps/dt = eta - g'(eps) + sqrt(2 tau_eps) xi: Langevin on the
    layer's conditional alone, so eps fluctuates around A'(eta).  eta is read
    from the paired neuron through linked variables (K interneurons per
    neuron share it).  They always run at temperature 1: they estimate the
    partition function's gradient, which tempering does not change.
    """
    gp = family.gprime_expr("eps")
    lines = [
        f"deps/dt = (eta - ({gp}))/tau_eps + sqrt(2/tau_eps)*xi : 1",
        "eta = b + td : 1" if not top else "eta = b : 1",
        "b : 1 (linked)",
    ]
    if not top:
        lines.append("td : 1 (linked)")
    lines += ["tau_eps : second (shared, constant)", family_parameters(family)]
    return "\n".join(lines)


def averaging_equations() -> str:
    """Interneurons -> neurons: epsbar is the mean of the K paired interneurons."""
    return ("n_interneurons : 1 (shared, constant)\n"
            "epsbar_post = eps_pre/n_interneurons : 1 (summed)")


#: The two factors of everything a projection computes, defined once for the
#: Synapses paths, the fused dense pass (:mod:`hee_brian.dense`) and, in NumPy,
#: the reference (:mod:`hee_brian.reference`): the lower neuron's prediction
#: error x - epsbar (epsbar ~ A'(eta) from the interneurons) and the upper
#: neuron's output phi(x).  The local plasticity (docs/model.md section 3) is
#: dW_ij/dt = eta_w * PRE_ERROR_i * POST_OUTPUT_j.
PRE_ERROR = "x_pre - epsbar_pre"
POST_OUTPUT = "phix_post"


def _summed_lines(likelihood: bool) -> list[str]:
    """The two directions through W: top-down into the layer below, likelihood up."""
    lines = [f"td_pre = w*{POST_OUTPUT} : 1 (summed)"]
    if likelihood:
        lines.append(f"lik_post = w*({PRE_ERROR}) : 1 (summed)")
    return lines


def projection_equations(*, likelihood: bool = True, plastic: bool = False) -> str:
    """Equations of the Synapses object between layer l-1 (pre) and l (post).

    One object holds W and serves both directions, so top-down and bottom-up
    weights are the same numbers by construction:

    * ``td_pre``: eta_{l-1} = W phi(x_l) + b, summed into the lower layer;
    * ``lik_post``: W^T (x_{l-1} - epsbar_{l-1}), summed into the upper layer,
      the interneurons standing in for the intractable A'(eta);
    * plasticity dW/dt = eta_w (x_{l-1} - epsbar_{l-1}) phi(x_l), local in
      space and time (docs/model.md section 3), integrated on the Synapses'
      own (plasticity) clock; the summed variables update on the neurons'.
    """
    lines = _summed_lines(likelihood)
    if plastic:
        lines += [
            f"dw/dt = eta_w*({PRE_ERROR})*{POST_OUTPUT} : 1 (clock-driven)",
            "eta_w : Hz (shared, constant)",
        ]
    else:
        lines.append("w : 1 (constant)")
    return "\n".join(lines)


def shared_weight_equations(*, plastic: bool = False) -> str:
    """Equations of the weight store that B parallel streams share.

    With ``streams`` > 1 on the ``Synapses`` path, W lives once, in a group of
    n_{l-1} x n_l elements (element k = i*n_l + j holds W_ij), and every
    stream's synapses read it as a linked variable.  The plasticity is the
    same local rule, summed over the streams by :func:`hebbian_equations`:

        dW_ij/dt = eta_w * sum_s (x_{l-1} - epsbar_{l-1})_{s,i} phi(x_l)_{s,j}
    """
    if not plastic:
        return "w : 1 (constant)"
    return "\n".join([
        "dw/dt = eta_w*hebb : 1",
        f"hebb : 1  # sum over streams of ({PRE_ERROR})*{POST_OUTPUT}",
        "eta_w : Hz (shared, constant)",
    ])


def stream_projection_equations(*, likelihood: bool = True) -> str:
    """Per-stream Synapses reading the shared W (see :func:`shared_weight_equations`).

    The same two summed lines as :func:`projection_equations`, with ``w`` a
    linked variable into the weight store, so all streams use one W.
    """
    return "\n".join(["w : 1 (linked)",
                      "w_index : integer (constant)  # element of the store holding this W_ij",
                      *_summed_lines(likelihood)])


def hebbian_equations() -> str:
    """Synapses from layer l-1 into the weight store: each stream's local update.

    Synapse (s, i, j) joins pre neuron s*n_{l-1} + i to weight element
    i*n_l + j, and reads phi(x_l) of neuron s*n_l + j through a linked
    variable; their sum is ``hebb`` of the store.
    """
    return "\n".join([
        "phix_up : 1 (linked)",
        "up_index : integer (constant)  # neuron s*n_l + j of the layer above",
        # the plasticity's two factors, the upper one read through phix_up
        f"hebb_post = ({PRE_ERROR})*{POST_OUTPUT.replace('phix_post', 'phix_up')} : 1 (summed)",
    ])


def _reflection_note(family: ExponentialFamily, var: str) -> list[str]:
    """For ``print(model)``: a bounded family's state is reflected after each step.

    The reflection is part of the state update (:class:`hee_brian.stateupdater.
    Reflecting`), not of the equations, so it is shown as a comment.
    """
    fold = family.reflect_expr(var)
    if fold is None:
        return []
    lo, hi = family.bounds
    return [f"# after every step, {var} is reflected at the walls of [{lo:g}, {hi:g}]: "
            f"{var} = {fold}"]


def model_equations(model) -> str:
    """A model's Brian2 equations, population by population, as text (``print(model)``)."""
    L = len(model.layers) - 1
    ad = None if model.adaptation is None else model.adaptation.variant
    parts = [
        f"# layer 0 neurons (n={model.layers[0].n}, "
        f"{model.layers[0].family.describe(mark_defaults=True)}), "
        "clamped during inference and learning",
        observation_equations(model.layers[0].family, clamped=True,
                              closed_form=model.closed_form[0]),
    ]
    for l in range(1, L + 1):
        parts += [
            f"# layer {l} neurons (n={model.layers[l].n}, "
            f"{model.layers[l].family.describe(mark_defaults=True)})",
            latent_neuron_equations(model.layers[l].family, model.phi_fn, top=l == L,
                                    adaptation=ad, readout=model.readout,
                                    closed_form=model.closed_form[l]),
            *_reflection_note(model.layers[l].family, "x"),
        ]
    for l in range(L + 1):
        if model.closed_form[l]:
            continue
        parts += [
            f"# layer {l} interneurons (n={model.layers[l].n} x K={model.n_interneurons})",
            interneuron_equations(model.layers[l].family, top=l == L),
            *_reflection_note(model.layers[l].family, "eps"),
            f"# interneurons -> layer {l} neurons",
            averaging_equations(),
        ]
    for l in range(1, L + 1):
        parts += [
            f"# projection W[{l - 1}] between layer {l - 1} (pre) and layer {l} (post), "
            "with plasticity when learning",
            projection_equations(plastic=True),
        ]
    if model.integrator != "euler":
        parts.append(f"# integrator: {model.integrator} (every noise term xi: the mean of "
                     "this step's and the last step's standard normals)")
    return "\n".join(parts)
