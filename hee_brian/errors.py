"""Exceptions raised by hee-brian.

Bad input is refused before any Brian2 object is built
(:class:`HEEParameterError`); a simulation whose state stops being finite is
stopped and reported (:class:`SimulationDiverged`) and nothing of it is
written as a result.
"""


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
