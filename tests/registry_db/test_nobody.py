"""A `user` of None is nobody: every registry write refuses it and writes nothing (fail closed).
The command line and the demo pass ansinh.core.roles.OPERATOR explicitly."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ansinh.core.jobs import BadInput, Progress
from ansinh.core.models import Job
from ansinh.core.roles import OPERATOR, can_edit
from ansinh.core.scope import scope_for
from ansinh.registry.importing.files import import_file
from ansinh.registry.jobs import import_job, start_import
from ansinh.registry.models import ChangeLog, ImportBatch, IssueStatus, Person, QualityIssue
from ansinh.registry.review import fix_issue, resolve_residence, waive_issue
from ansinh.registry.routing import OutsideScope
from ansinh.units.models import AdminUnit, Level

from .conftest import DONG_KINH, PROVINCE, person_row

pytestmark = pytest.mark.django_db


def _history():
    return ChangeLog.objects.count()


def test_nobody_may_edit_the_operator_may():
    assert not can_edit(None)
    assert can_edit(OPERATOR) and scope_for(OPERATOR).everything


def test_import_as_nobody_is_refused_and_leaves_nothing(small_list):
    path = small_list([person_row()])
    with pytest.raises(OutsideScope):
        import_file(path, None, province=PROVINCE)
    assert not ImportBatch.objects.exists() and not Person.objects.exists() and _history() == 0
    rep = import_file(path, OPERATOR, province=PROVINCE)  # the same file, as the operator
    assert rep["imported"] == 1 and ImportBatch.objects.get().uploaded_by is None


def test_an_import_job_without_a_user_is_refused(small_list):
    with pytest.raises(BadInput):
        import_job({"path": str(small_list([person_row()])), "file_name": "ds.xlsx"}, Progress())
    assert not ImportBatch.objects.exists()


def test_upload_as_nobody_is_refused():
    with pytest.raises(OutsideScope):
        start_import(None, SimpleUploadedFile("ds.csv", b"STT;Ho ten\n"))
    assert not Job.objects.exists()


def test_review_writes_as_nobody_are_refused(small_list):
    import_file(small_list([person_row(id_number="0200400012")]), OPERATOR, province=PROVINCE)
    person = Person.objects.get()
    issue = person.issues.get(rule="ID_SHAPE")
    before = _history()
    with pytest.raises(OutsideScope):
        fix_issue(issue, None, "id_number", "020040001234")
    with pytest.raises(OutsideScope):
        waive_issue(issue, None, "không cần")
    unit = AdminUnit.objects.filter(code=DONG_KINH, valid_to__isnull=True, level=Level.COMMUNE).first()
    if unit is None:  # the fixture's commune on the current map
        unit = AdminUnit.objects.filter(valid_to__isnull=True, level=Level.COMMUNE).first()
    with pytest.raises(OutsideScope):
        resolve_residence(person, unit, None)
    issue.refresh_from_db()
    person.refresh_from_db()
    assert issue.status == IssueStatus.OPEN and person.id_number is None and _history() == before
    assert QualityIssue.objects.filter(person=person, status=IssueStatus.OPEN).exists()
    # the operator may
    fix_issue(issue, OPERATOR, "id_number", "020040001234")
    issue.refresh_from_db()
    assert issue.status == IssueStatus.FIXED and ChangeLog.objects.get(field="id_number").user is None
