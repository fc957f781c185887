"""Exceptions raised by hee-brian.

Bad input is refused before any Brian2 object is built
(:class:`HEEParameterError`); a simulation whose state stops being finite is
stopped and reported (:class:`SimulationDiverged`) and nothing of it is
written as a result.

Both are the project's own messages, complete in themselves: they are
printed without Brian2's "please report this bug" banner, and Brian2 keeps
no debug files for them (:func:`install_excepthook`).  An optional
dependency that is missing is reported by what needs it and how to install
it (:func:`import_optional`).
"""
import importlib
import sys


class HEEParameterError(ValueError):
    """A parameter of the model or of a run is invalid.

    The message names the parameter, the value it got and what to do instead.
    """


class SimulationDiverged(FloatingPointError):
    """The numerical integration blew up.

    Attributes
    ----------
    variable : str
        The variable that first became non-finite (or exceeded the bound).
    time : float
        Simulated time in seconds at which it was first seen.
    """

    def __init__(self, variable, time, dt, detail=""):
        self.variable = variable
        self.time = time
        self.dt = dt
        msg = (
            f"the simulation diverged: {variable} became non-finite or exceeded "
            f"1e6 at t = {time * 1e3:.4g} ms. The Euler-Maruyama step dt = "
            f"{dt * 1e3:.4g} ms is probably too large for this network: use a "
            "smaller dt (or larger time constants / smaller learning rates). "
            "No results were written."
        )
        if detail:
            msg += " " + detail
        super().__init__(msg)


def install_excepthook():
    """Print hee-brian's own errors plainly, without Brian2's bug-report banner.

    Importing Brian2 replaces ``sys.excepthook`` with a hook that answers
    every uncaught exception with "Brian 2 encountered an unexpected error
    ... please report this issue" and keeps debug files in the temporary
    folder.  For :class:`HEEParameterError` and :class:`SimulationDiverged`
    that sends the user to the wrong place; this hook prints them as Python
    would and hands every other exception on to the hook it replaced.
    Installing it twice is harmless.
    """
    previous = sys.excepthook
    if getattr(previous, "_hee_brian", False):
        return

    def hook(exc_type, exc, tb):
        if isinstance(exc_type, type) and issubclass(exc_type, (HEEParameterError,
                                                                SimulationDiverged)):
            return sys.__excepthook__(exc_type, exc, tb)
        return previous(exc_type, exc, tb)

    hook._hee_brian = True
    sys.excepthook = hook


def import_optional(names, missing):
    """Import the modules ``names`` of an optional dependency, in order.

    Returns the modules as a tuple.  If one cannot be imported, raises
    ``ImportError(missing)`` (the message says what needs it and how to
    install it), chained to the original error.
    """
    try:
        return tuple(importlib.import_module(name) for name in names)
    except ImportError as exc:
        raise ImportError(missing) from exc
