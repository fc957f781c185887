"""The sampling doc's sections are regenerated in place, never duplicated."""
import math


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


def test_markdown_table_formats_numbers():
    table = _report.markdown_table(["a", "b"], [[0.123456, float("nan")], [3, None]])
    assert table.splitlines()[2] == "| 0.123 | n/a |"
    assert table.splitlines()[3] == "| 3 | - |"
