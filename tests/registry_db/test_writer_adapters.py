"""Writer's memoised/short-cut adapters give what the backend's own adapters give."""
import datetime as dt

from django.db import connection

from ansinh.registry.models import ImportRow, Person, QualityIssue
from ansinh.registry.importing.writer import Writer


def _adapter(model, name):
    w = Writer()
    fields = (name,)
    _cols, fns = w._adapters(model, fields)
    return dict(fns)[0]


def test_json_and_date_adapters_match_backend(db):
    ops = connection.ops
    fn = _adapter(ImportRow, "reasons")
    for v in ([], {}, ["Thiếu họ tên"], {"a": [1, "ă"]}, [""]):
        got, want = fn(v), ops.adapt_json_value(v, None)
        assert (got if isinstance(got, str) else got.obj) == (want if isinstance(want, str) else want.obj)
    fn = _adapter(QualityIssue, "details")
    assert fn({}) == ops.adapt_json_value({}, None) or connection.vendor == "postgresql"
    fn = _adapter(Person, "dob")
    for d in (dt.date(1950, 1, 2), dt.date(1950, 1, 2), dt.date(2001, 12, 31)):
        assert fn(d) == ops.adapt_datefield_value(d)
