"""The sampling doc's sections are regenerated in place, never duplicated;
summaries are written as JSON whatever NumPy or Brian2 values they hold."""
import json
import math
from pathlib import Path

import numpy as np
from brian2 import mV, ms

from hee_brian import report as _report


def test_doc_sections_are_replaced_in_place(tmp_path):
    doc = tmp_path / "sampling.md"
    _report.write_doc_section("a", "first A", path=doc)
    _report.write_doc_section("b", "first B", path=doc)
    _report.write_doc_section("a", "second A", path=doc)
    text = doc.read_text()
    assert "second A" in text and "first A" not in text and "first B" in text
    assert text.count("<!-- a:begin -->") == 1
    assert text.index("second A") < text.index("first B")  # kept its place


def test_json_round_trip_keeps_non_finite_numbers(tmp_path):
    obj = {"x": [1.5, float("nan"), float("inf")], "y": {"z": "text"}}
    _report.write_json(tmp_path / "s.json", obj)
    back = _report.read_json(tmp_path / "s.json")
    assert back["x"][0] == 1.5 and math.isnan(back["x"][1]) and back["x"][2] == math.inf
    assert back["y"] == {"z": "text"}


def test_json_writes_numpy_arrays_and_scalars(tmp_path):
    obj = {"a": np.array([0.5, np.nan, -np.inf]), "m": np.arange(6).reshape(2, 3),
           "f32": np.float32(0.25), "f64": np.float64(np.nan), "i": np.int64(7),
           "b": np.bool_(True), "t": (np.int32(1), np.array(2.0))}
    _report.write_json(tmp_path / "s.json", obj)
    raw = json.loads((tmp_path / "s.json").read_text())  # strict JSON: no bare NaN
    assert raw["a"] == [0.5, "nan", "-inf"] and raw["f64"] == "nan"
    back = _report.read_json(tmp_path / "s.json")
    assert back["a"][0] == 0.5 and math.isnan(back["a"][1]) and back["a"][2] == -math.inf
    assert back["m"] == [[0, 1, 2], [3, 4, 5]]
    assert back["f32"] == 0.25 and math.isnan(back["f64"])
    assert back["i"] == 7 and type(back["i"]) is int
    assert back["b"] is True
    assert back["t"] == [1, 2.0]


def test_json_writes_quantities_paths_and_other_objects_as_text(tmp_path):
    class Thing:
        def __str__(self):
            return "a thing"

    obj = {"tau": 20 * ms, "v": np.array([1.0, 2.5]) * mV, "unit": ms,
           "path": Path("output") / "v1", "other": Thing(), "none": None}
    _report.write_json(tmp_path / "s.json", obj)
    back = _report.read_json(tmp_path / "s.json")
    assert back["tau"] == str(20 * ms) == "20. ms"
    assert back["v"] == str(np.array([1.0, 2.5]) * mV) and back["v"].endswith("mV")
    assert back["unit"] == "ms"
    assert back["path"] == str(Path("output") / "v1")
    assert back["other"] == "a thing" and back["none"] is None
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, nothing left over


def test_markdown_table_formats_numbers():
    table = _report.markdown_table(["a", "b"], [[0.123456, float("nan")], [3, None]])
    assert table.splitlines()[2] == "| 0.123 | n/a |"
    assert table.splitlines()[3] == "| 3 | - |"
