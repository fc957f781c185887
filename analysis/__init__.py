"""Analysis of recorded arrays: statistics and figures (installed as ``hee_brian.analysis``).

:mod:`.posterior` (sampling accuracy and speed), :mod:`.receptive_fields`,
:mod:`.tuning`, :mod:`.variability`, :mod:`.psth` and :mod:`.v1_data` (V1 probes and the
macaque reference data), :mod:`.generation` (sample quality),
:mod:`.recordings` (chained runs, readout rates) and :mod:`.plotting` (the
figures of the simulation scripts and examples).
"""
