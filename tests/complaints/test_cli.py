"""`ansinh complaint …`: create prints the due dates, list --overdue, accept, decide; bad input exits 2."""
from __future__ import annotations

import json

import pytest

from ansinh.cli import main

pytestmark = pytest.mark.django_db


def test_create_list_accept_decide(users, run, capsys):
    line = run.lines.order_by("id").first()
    assert main(["complaint", "create", "--channel", "in_person", "--category", "amount", "--line", str(line.pk),
                 "--text", "Số tiền sai", "--name", "Bà Hoa", "--received", "2026-02-11", "--as", "xa_a",
                 "--json"]) == 0
    c = json.loads(capsys.readouterr().out)
    assert c["due_accept"] == "2026-02-23" and c["due_decide"] == "2026-03-25"  # Tết 2026 in the way
    assert c["commune"] == "05977" and c["status"] == "received"
    assert main(["complaint", "list", "--overdue", "--today", "2026-02-24", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [c["id"]] and rows[0]["state"] == "breached" and rows[0]["escalated"]
    assert main(["complaint", "list", "--overdue", "--today", "2026-02-23", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["complaint", "accept", str(c["id"]), "--day", "2026-02-20", "--complex", "--as", "xa_a",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["due_decide"] == "2026-04-06"  # 45 days -> Sunday 05/04
    assert main(["complaint", "decide", str(c["id"]), "--outcome", "partly", "--decision", "Sửa số tiền",
                 "--day", "2026-03-02", "--as", "xa_a", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "decided"
    # the verb
    assert main(["complaint", "add", "--kind", "feedback", "--channel", "radio", "--category", "other",
                 "--commune", "05977", "--anonymous", "--text", "Góp ý", "--as", "xa_a", "--json"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("args, words", [
    (["--channel", "fax"], "channel"),
    (["--received", "11/02/2026"], "YYYY-MM-DD"),
    (["--anonymous"], "họ tên"),
])
def test_bad_input_is_one_line(users, people, capsys, args, words):
    base = ["complaint", "create", "--channel", "phone", "--category", "payment", "--text", "x",
            "--person", str(people[0].pk), "--name", "Bà Hoa", "--as", "xa_a"]
    for i in range(0, len(args), 2):
        if args[i] in base:
            base[base.index(args[i]) + 1] = args[i + 1]
        else:
            base += args[i:i + 2] if i + 1 < len(args) and not args[i + 1].startswith("--") else [args[i]]
    if "--anonymous" in base:
        base = [a for a in base if a not in ("--name", "Bà Hoa")]
    assert main(base) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err


def test_writes_need_a_user_in_scope(users, people, capsys):
    assert main(["complaint", "create", "--channel", "phone", "--category", "payment", "--text", "x",
                 "--person", str(people[0].pk), "--name", "Bà Hoa", "--as", "xa_b"]) == 2
    assert main(["complaint", "create", "--channel", "phone", "--category", "payment", "--text", "x",
                 "--person", str(people[0].pk), "--name", "Bà Hoa"]) == 2


def test_appeal_and_escalate(users, run, capsys):
    line = run.lines.order_by("id").first()
    assert main(["complaint", "create", "--channel", "letter", "--category", "amount", "--line", str(line.pk),
                 "--text", "Số tiền sai", "--name", "Bà Hoa", "--received", "2026-02-11", "--as", "xa_a",
                 "--json"]) == 0
    c = json.loads(capsys.readouterr().out)
    assert main(["complaint", "escalate", "--today", "2026-02-23", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"escalated": 0}
    assert main(["complaint", "escalate", "--today", "2026-02-24", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"escalated": 1}
    assert main(["complaint", "escalate", "--today", "2026-02-25", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"escalated": 0}
    assert main(["complaint", "accept", str(c["id"]), "--day", "2026-02-24", "--as", "xa_a", "--json"]) == 0
    capsys.readouterr()
    assert main(["complaint", "decide", str(c["id"]), "--outcome", "rejected", "--decision", "Đúng mức",
                 "--day", "2026-03-02", "--number", "9", "--signer", "Hoàng Văn Bình", "--as", "xa_a",
                 "--json"]) == 0
    capsys.readouterr()
    assert main(["complaint", "appeal", str(c["id"]), "--text", "Không đồng ý", "--received", "2026-03-10",
                 "--as", "xa_a", "--json"]) == 2  # the commune does not take the second level
    capsys.readouterr()
    assert main(["complaint", "appeal", str(c["id"]), "--text", "Không đồng ý", "--received", "2026-03-10",
                 "--as", "tinh", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["level"] == 2 and second["due_accept"] == "2026-03-20"
