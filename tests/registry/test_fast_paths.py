"""The import's fast paths give exactly what the general code gives."""
import datetime as dt

from ansinh.registry import reader
from ansinh.registry.reader import SourceRow, _cell_text, _Decoder

CELLS = ["", None, "Nguyễn Văn A", "Le Thi B", "NguyÔn V¨n A", 12.0, 1.5, True, False, 0,
         dt.datetime(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4, 5), dt.date(1950, 7, 1), "  ", "0912 345 678"]


def test_cells_text_matches_cell_text():
    for dec in (None, _Decoder(None), _Decoder("tcvn3")):
        row = SourceRow(row=5, values={}, cells=list(CELLS), decoder=dec)
        assert row.cells_text() == [_cell_text(v, dec or reader._PLAIN) for v in CELLS]


def test_cell_text_values():
    assert _cell_text("") == ""
    assert _cell_text(None) == ""
    assert _cell_text(12.0) == "12"
    assert _cell_text(dt.date(1950, 7, 1)) == "01/07/1950"
    assert _cell_text(True) == "TRUE"
