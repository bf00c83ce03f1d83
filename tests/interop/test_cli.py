"""`ansinh client create|rotate|list --json` and `ansinh interop sign|calls`: secrets shown once,
bad input exits 2 with one line."""
from __future__ import annotations

import json

from ansinh.cli import main
from ansinh.interop import signing


def test_client_create_rotate_list(db, capsys, tmp_path):
    assert main(["client", "create", "agribank-hn", "--name", "Agribank Lạng Sơn", "--organisation",
                 "Ngân hàng Nông nghiệp", "--scope", "20", "--provider", "970405", "--url",
                 "http://127.0.0.1:8109", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["client_id"] == "agribank-hn" and made["client_secret"] and "PRIVATE KEY" in made["private_key_pem"]
    assert made["operations"] == ["disburse", "runs_read", "txn_status"] and made["scope"] == ["20"]
    assert main(["client", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1 and "client_secret" not in listed[0] and listed[0]["keys"][0]["live"]
    assert made["client_secret"] not in json.dumps(listed)
    pub = tmp_path / "pub.txt"
    pub.write_text(signing.public_b64(signing.new_private_key()))
    assert main(["client", "rotate", "agribank-hn", "--public-key", str(pub), "--grace-hours", "0", "--json"]) == 0
    rot = json.loads(capsys.readouterr().out)
    assert "private_key_pem" not in rot and rot["public_key"] == pub.read_text()
    assert [k["live"] for k in rot["keys"]] == [True, False]
    # bad input: one line, exit 2
    for args, words in ((["client", "create", "agribank-hn", "--name", "x", "--organisation", "y", "--scope", "20",
                          "--provider", "970405"], "exists"),
                        (["client", "create", "Bad Id", "--name", "x", "--organisation", "y", "--scope", "20"],
                         "client id"),
                        (["client", "create", "nbank", "--name", "x", "--organisation", "y", "--scope", "20"],
                         "--provider"),
                        (["client", "create", "nbank", "--name", "x", "--organisation", "y", "--scope", "99999",
                          "--provider", "1"], "--scope"),
                        (["client", "create", "nbank", "--name", "x", "--organisation", "y", "--scope", "20",
                          "--provider", "1", "--operations", "everything"], "--operations"),
                        (["client", "rotate", "nobody"], "no client"),
                        (["client", "rotate", "agribank-hn", "--public-key", str(tmp_path / "none.pem")], "cannot read")):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1, err


def test_sign_helper_makes_a_verifiable_envelope(db, capsys, tmp_path, monkeypatch):
    import io

    key = signing.new_private_key()
    pem = tmp_path / "k.pem"
    pem.write_text(signing.private_pem(key))
    body = {"header": {"message_id": "1", "action": "on-disburse"}, "message": {"transaction_id": "t"}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(body)))
    assert main(["interop", "sign", "--key", str(pem), "--client", "b", "--key-id", "k1"]) == 0
    env = json.loads(capsys.readouterr().out)
    assert signing.verify(env["signature"], env["header"], env["message"], key.public_key()).sender_id == "b"
    assert main(["interop", "calls", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
