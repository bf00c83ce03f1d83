"""The audit log on the database (SQLite and PostgreSQL): appends, `ansinh audit verify` after
tampering by direct SQL, the registry history mirror, the checkpoint, the grants."""
from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from ansinh.audit import services
from ansinh.audit.models import Action, AuditEntry
from ansinh.cli import main
from ansinh.core.roles import OPERATOR

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def some_entries(n=6):
    for i in range(n):
        services.append(Action.PERSON_VIEW, user=OPERATOR, persons=[1000 + i], object=f"registry.person {1000 + i}")


def sql(statement, params=()):
    with connection.cursor() as cur:
        cur.execute(statement, params)


def test_entries_chain_in_order():
    some_entries(3)
    es = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in es] == [1, 2, 3]
    assert es[1].prev_hash == es[0].hash and es[2].prev_hash == es[1].hash


def test_verify_intact_then_changed_then_removed(capsys):
    some_entries()
    rc, out, _ = run(capsys, "audit", "verify")
    assert rc == 0 and "intact, 6 entries" in out

    sql("UPDATE audit_auditentry SET user_name = %s WHERE seq = 4", ["someone"])
    rc, out, _ = run(capsys, "audit", "verify", "--json")
    r = json.loads(out)
    assert rc == 1 and r["first_bad"] == 4 and "changed" in r["reason"]

    sql("UPDATE audit_auditentry SET user_name = %s WHERE seq = 4", ["operator"])
    assert run(capsys, "audit", "verify")[0] == 0

    sql("DELETE FROM audit_auditsubject WHERE entry_id = (SELECT id FROM audit_auditentry WHERE seq = 3)")
    sql("DELETE FROM audit_auditentry WHERE seq = 3")
    rc, out, _ = run(capsys, "audit", "verify")
    assert rc == 1 and "entry 3: missing (removed)" in out


def test_verify_sees_people_removed_from_an_entry(capsys):
    some_entries(3)
    sql("DELETE FROM audit_auditsubject WHERE entry_id = (SELECT id FROM audit_auditentry WHERE seq = 2)")
    rc, out, _ = run(capsys, "audit", "verify")
    assert rc == 1 and "entry 2" in out


def test_verify_against_a_checkpoint_kept_elsewhere(capsys):
    some_entries(3)
    rc, out, _ = run(capsys, "audit", "checkpoint", "--json")
    cp = json.loads(out)
    assert rc == 0 and cp["upto"] == 3 and cp["hash"] in cp["line"]
    assert run(capsys, "audit", "verify", "--expect", f"3:{cp['hash']}")[0] == 0
    # the owner rewrites the whole chain after entry 2 consistently (recomputed hashes): only the checkpoint sees it
    sql("DELETE FROM audit_auditsubject")
    sql("DELETE FROM audit_auditentry WHERE seq >= 3")
    services.append(Action.PERSON_VIEW, user=OPERATOR, object="forged")
    sql("DELETE FROM audit_auditsubject")
    sql("UPDATE audit_auditentry SET subjects = 0, subjects_digest = ''")
    # recompute every hash so the chain itself is consistent
    from ansinh.audit import chain

    prev = chain.GENESIS
    for e in AuditEntry.objects.order_by("seq"):
        f = e.fields()
        h = chain.entry_hash(prev, f)
        sql("UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, h, e.seq])
        prev = h
    assert run(capsys, "audit", "verify")[0] == 0
    rc, out, _ = run(capsys, "audit", "verify", "--expect", f"3:{cp['hash']}")
    assert rc == 1 and "entry 3" in out


def test_bad_expect_is_a_usage_error(capsys):
    rc, _, err = run(capsys, "audit", "verify", "--expect", "x")
    assert rc == 2 and err.startswith("ansinh: --expect")


def test_registry_history_is_chained_not_copied(capsys, django_user_model):
    from ansinh.registry.history import Change, log_changes
    from ansinh.registry.models import ChangeLog

    user = django_user_model.objects.create(username="sua")
    changes = [Change("registry.person", 10 + i, None, "note", "a", "b", None, "20") for i in range(3)]
    assert log_changes(changes, user=user, source="web") == 3
    e = AuditEntry.objects.get(action=Action.CHANGE)
    d = json.loads(e.detail)
    assert d["rows"] == 3 and e.user_name == "sua" and e.object == "registry.person"
    assert run(capsys, "audit", "verify")[0] == 0
    victim = ChangeLog.objects.order_by("pk")[1]
    sql("UPDATE registry_changelog SET new = %s WHERE id = %s", ["forged", victim.pk])
    rc, out, _ = run(capsys, "audit", "verify")
    assert rc == 1 and f"entry {e.seq}" in out and "history" in out
    sql("UPDATE registry_changelog SET new = %s WHERE id = %s", ["b", victim.pk])
    assert run(capsys, "audit", "verify")[0] == 0
    sql("DELETE FROM registry_changelog WHERE id = %s", [victim.pk])
    assert run(capsys, "audit", "verify")[0] == 1


def test_a_change_and_its_entry_roll_back_together(django_user_model):
    from ansinh.registry.history import Change, log_changes

    with pytest.raises(RuntimeError), transaction.atomic():
        log_changes([Change("registry.person", 1, None, "note", "a", "b", None, "20")], user=None, source="web")
        raise RuntimeError
    assert not AuditEntry.objects.exists()


def test_cli_names_its_command_as_source(capsys):
    run(capsys, "audit", "checkpoint")
    assert AuditEntry.objects.get().source == "cli ansinh audit checkpoint"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_application_role_cannot_update_or_delete_the_log():
    from django.db.utils import ProgrammingError

    from ansinh.audit.grants import grant_sql

    some_entries(2)
    role = "ansinh_audit_test_app"
    sql(f"DROP ROLE IF EXISTS {role}")
    sql(f"CREATE ROLE {role} NOLOGIN")
    for stmt in grant_sql(role):
        sql(stmt)
    sql(f"SET ROLE {role}")
    try:
        services.append(Action.PERSON_VIEW, user=OPERATOR, persons=[5])  # INSERT allowed
        for statement in ("UPDATE audit_auditentry SET user_name = 'x' WHERE seq = 1",
                          "DELETE FROM audit_auditentry WHERE seq = 1",
                          "DELETE FROM audit_auditsubject",
                          "TRUNCATE audit_auditentry CASCADE"):
            with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
                sql(statement)
        sql("UPDATE registry_changelog SET new = new WHERE id < 0")  # other tables: allowed
    finally:
        sql("RESET ROLE")
    assert AuditEntry.objects.count() == 3
