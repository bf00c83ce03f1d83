"""Core commands: the installation-level verbs (`ansinh init|worker|serve`), `ansinh users …`,
and `ansinh demo users|setup` with the registry of demo steps (DEMO_STEPS)."""
from __future__ import annotations

import importlib
import os
from pathlib import Path
import sys
import time

import typer

from ansinh.cli import emit, fail, progress_bar

installation = typer.Typer()  # top-level verbs: they belong to the installation, not to a noun
app = typer.Typer(no_args_is_help=True, help="Users, roles and scope.")
demo = typer.Typer()  # joins `ansinh demo`


@installation.command("init")
def init(province: list[str] = typer.Option([], "--province", help="Code of the province this installation "
                                            "serves (04 = Cao Bằng); repeat for several. Given again, replaces the set."),
         json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Create or migrate the database named by DATABASE_URL and load the reference data. Safe to repeat."""
    from django.core.management import call_command

    from ansinh.core.roles import ensure_role_groups
    from ansinh.units.loader import load_units

    _ensure_var_dir()
    call_command("migrate", interactive=False, verbosity=0)
    ensure_role_groups()
    with progress_bar("Đơn vị hành chính", enabled=not json_out) as listener:
        from ansinh.core.jobs import Progress

        counts = load_units(Progress(listener=listener))
    from django.db import connection

    from ansinh.core.selectors import served_provinces
    from ansinh.core.services import set_served_provinces

    if province:
        try:
            set_served_provinces(province)
        except ValueError as exc:
            fail(str(exc))
    served = served_provinces()
    result = {"database": connection.vendor, "name": str(connection.settings_dict["NAME"]), "units": counts,
              "provinces": served}
    emit(result, json_out, lambda r: print(f"ansinh init: {r['database']} {r['name']} — units "
                                            f"{'loaded' if counts.get('changed') else 'already up to date'}; "
                                            f"province(s) served: {', '.join(_province_names(served)) or 'not set (ansinh init --province CODE)'}"))


def _province_names(codes: list[str]) -> list[str]:
    from ansinh.units.models import AdminUnit, Level

    names = dict(AdminUnit.objects.filter(code__in=codes, level=Level.PROVINCE, valid_to__isnull=True)
                 .values_list("code", "name"))
    return [f"{c} {names.get(c, '')}".strip() for c in codes]


@installation.command("worker")
def worker(once: bool = typer.Option(False, "--once", help="Run the queued jobs, then exit.")) -> None:
    """Run the background worker (imports, matching, payroll jobs).

    At start-up and every few seconds it marks failed the jobs whose worker died (no
    heartbeat: see ansinh.core.jobs), so their pages say so and the queue moves on."""
    import threading

    from django.core.management import call_command

    from ansinh.core.health import worker_heartbeat
    from ansinh.core.jobs import fail_stale_jobs, watch_stale_jobs

    fail_stale_jobs()
    stop = threading.Event()
    if not once:
        threading.Thread(target=watch_stale_jobs, args=(stop,), name="stale-jobs", daemon=True).start()
        threading.Thread(target=worker_heartbeat, args=(stop,), name="worker-heartbeat", daemon=True).start()
        # once a day: uploads past their retention deleted, the audit log's checkpoint (core/housekeeping.py)
        from ansinh.core.housekeeping import watch_daily

        threading.Thread(target=watch_daily, args=(stop,), name="daily", daemon=True).start()
    args = ["--queue-name", "*", "--no-reload", "--no-startup-delay"]
    if once:
        args.append("--batch")
    try:
        call_command("db_worker", *args, verbosity=1)
    finally:
        stop.set()


@installation.command("check")
def check(deploy: bool = typer.Option(False, "--deploy", help="Also the production checks (Django's and ansinh's)."),
          json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Check the installation; with --deploy, exit 1 on any warning (docs/deploy.md)."""
    from ansinh.core.deploycheck import check_command

    raise typer.Exit(check_command(deploy, json_out))


@installation.command("serve")
def serve(addr: str = typer.Option("127.0.0.1:8000", help="host:port"),
          with_worker: bool = typer.Option(True, "--worker/--no-worker", help="Also run the background worker."),
          logins: bool = typer.Option(False, "--logins", help="Print the demo logins once the site answers "
                                                              "(after the server's banner, so they stay in view).")) -> None:
    """Run the web site (development server) and a background worker, restarted if it dies."""
    from django.core.management import call_command

    supervisor = WorkerSupervisor() if with_worker else None
    if supervisor:
        supervisor.start()
    if logins:
        from ansinh.core.demo import create_demo_users

        _print_logins_when_up(addr, create_demo_users())
    try:
        call_command("runserver", addr, use_reloader=False, verbosity=1)
    finally:
        if supervisor:
            supervisor.stop()


class WorkerSupervisor:
    """Runs `ansinh worker` as a subprocess and starts a new one when it exits (killed, out of
    memory, crashed), with a growing pause if it keeps dying; meanwhile marks failed the jobs
    whose worker died (ansinh.core.jobs.fail_stale_jobs). Production uses systemd instead."""

    POLL = 1.0

    def __init__(self, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "ansinh", "worker"]
        self.proc = None
        self.restarts = 0
        self._stop = None
        self._thread = None

    def start(self) -> None:
        import threading

        self._stop = threading.Event()
        self.proc = self._spawn()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self):
        import subprocess

        return subprocess.Popen(self.command, env=os.environ.copy())

    def _watch(self) -> None:
        import logging

        from django.db import connections

        from ansinh.core.jobs import CHECK_EVERY, fail_stale_jobs

        log = logging.getLogger("ansinh.core.cli")
        last_check = 0.0
        quick_deaths = 0
        started = time.monotonic()
        while not self._stop.wait(self.POLL):
            code = self.proc.poll()
            if code is not None and not self._stop.is_set():
                quick_deaths = quick_deaths + 1 if time.monotonic() - started < 30 else 0
                pause = min(30.0, 2.0 ** quick_deaths) if quick_deaths else 0.0
                print(f"ansinh serve: the worker exited (code {code}); starting a new one"
                      + (f" in {pause:.0f} s" if pause else ""), file=sys.stderr, flush=True)
                if pause and self._stop.wait(pause):
                    return
                self.proc = self._spawn()
                self.restarts += 1
                started = time.monotonic()
            if time.monotonic() - last_check >= CHECK_EVERY:
                last_check = time.monotonic()
                try:
                    fail_stale_jobs()
                except Exception:  # noqa: BLE001 - a busy database: next time
                    log.warning("stale-job check failed", exc_info=True)
                finally:
                    connections.close_all()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.proc.kill()


@app.command("create")
def users_create(username: str, password: str = typer.Option(..., prompt=True, hide_input=True),
                 role: list[str] = typer.Option([], "--role", help="commune_officer, province_officer, approver, auditor, outreach, admin"),
                 unit: list[str] = typer.Option([], "--unit", help="Scope unit code (province e.g. 20, or commune e.g. 05977)"),
                 organisation: str = typer.Option("", "--org", help="Organisation name"),
                 full_name: str = typer.Option("", "--name"),
                 json_out: bool = typer.Option(False, "--json")) -> None:
    """Create (or update) a user with roles and a scope of current units."""
    from ansinh.core import services

    try:
        user = services.upsert_user(username, password, roles=role, unit_codes=unit, organisation_name=organisation,
                                    full_name=full_name)
    except ValueError as exc:
        fail(str(exc))
    emit({"username": user.username, "roles": sorted(role), "units": unit}, json_out,
         lambda d: print(f"user {d['username']}: {', '.join(d['roles']) or 'no role'}"))


@app.command("unlock")
def users_unlock(username: str, json_out: bool = typer.Option(False, "--json")) -> None:
    """Lift a log-in lock-out (too many wrong passwords) of USERNAME, from every address."""
    from ansinh.core import services

    cleared = services.unlock_user(username)
    emit({"username": username, "cleared": cleared}, json_out,
         lambda d: print(f"user {d['username']}: {d['cleared']} lock-out record(s) cleared"))


@app.command("totp-reset")
def users_totp_reset(username: str, json_out: bool = typer.Option(False, "--json")) -> None:
    """Remove the TOTP devices of USERNAME (a lost phone): they enrol a new one at the next approval."""
    from django.contrib.auth import get_user_model

    from ansinh.core import twofactor
    from ansinh.core.roles import OPERATOR

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        fail(f"no user {username!r}")
    n = twofactor.reset(user, by=OPERATOR)
    emit({"username": username, "removed": n}, json_out,
         lambda d: print(f"user {d['username']}: {d['removed']} two-factor device(s) removed; "
                         "a new one is enrolled at the next approval"))


@app.command("list")
def users_list(json_out: bool = typer.Option(False, "--json")) -> None:
    """List users with roles and scope."""
    from ansinh.core.selectors_users import user_rows

    rows = user_rows()
    emit(rows, json_out, lambda rs: [print(f"{r['username']:<16} {','.join(r['roles']):<40} {' '.join(r['units'])}") for r in rs])


@demo.command("users")
def demo_users(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Create the demo organisations and one user per role (idempotent)."""
    from ansinh.core.demo import create_demo_users

    rows = create_demo_users()
    emit(rows, json_out, print_logins)


# The registry of demo steps, in order: registry first (the generated commune lists, imported),
# then each step builds on the ones before it: account history, a reconciled payroll month
# (after the account history, which decides the channels), the outreach letter and its
# reports, a duplicate-review run. Step `x` is `ansinh.x.demo.demo_setup(**kwargs) -> dict`;
# every step gets the same keyword arguments (people, seed, paid_through, listener) and takes
# the ones it needs. A missing module or function stops `demo setup` before any step runs.
DEMO_STEPS = (
    ("registry", "Sổ đối tượng: tạo danh sách các xã và nhập vào sổ"),
    ("accounts", "Tài khoản: lịch sử mở tài khoản năm 2024"),
    ("payroll", "Chi trả: quà Tết Giáp Thìn 01/2024 và bảng chi tháng 11/2024, đã phê duyệt và đối soát"),
    ("interop", "Liên thông: máy khách ngân hàng demo (G2P Connect)"),
    ("outreach", "Tuyên truyền: văn bản chỉ đạo và báo cáo của các đơn vị"),
    ("matching", "Rà soát trùng lặp đối tượng"),
    ("complaints", "Đơn thư: danh sách niêm yết, ý kiến, khiếu nại và thời hạn giải quyết"),
)

# The payroll step reconciles November 2024; the demo user generates and approves December 2024 themselves.
# The generated lists are titled "Tháng 01 năm 2024", but the old process went on paying them:
# they come in as paid through October 2024 (the importer's --paid-through), so November and
# December 2024 are ordinary months (~60,000 lines), not eleven months of arrears.
DEMO_PAID_THROUGH = "2024-10"


def demo_steps() -> list[tuple[str, str, object]]:
    """(app label, step line, demo_setup) of every step; one line naming every step that is missing."""
    steps, missing = [], []
    for label, line in DEMO_STEPS:
        try:
            step = getattr(importlib.import_module(f"ansinh.{label}.demo"), "demo_setup", None)
        except ModuleNotFoundError as exc:
            if exc.name not in (f"ansinh.{label}", f"ansinh.{label}.demo"):  # a missing import inside it
                raise
            step = None
        if step is None:
            missing.append(f"ansinh.{label}.demo.demo_setup")
        steps.append((label, line, step))
    if missing:
        fail(f"demo steps missing: {', '.join(missing)}")
    return steps


@demo.command("setup")
def demo_setup(people: int = typer.Option(60000, help="Beneficiaries in the generated commune lists (0: users only)."),
               seed: int = typer.Option(1, help="Seed of the generated lists."),
               logins: bool = typer.Option(True, "--logins/--no-logins", help="Print the demo logins at the end "
                                                                               "(`make demo` prints them after the server starts)."),
               json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Demo organisations and users, then every demo step: commune lists, accounts, payroll, outreach, matching (idempotent)."""
    from ansinh.core.demo import create_demo_users

    steps = demo_steps() if people > 0 else []
    say = (lambda text: None) if json_out else (lambda text: print(text, flush=True))
    total = len(steps) + 1
    say(f"[1/{total}] Tổ chức và người dùng demo")
    rows = create_demo_users()
    data: dict = {}
    for i, (label, line, step) in enumerate(steps, 2):
        say(f"[{i}/{total}] {line}")
        t0 = time.perf_counter()
        with progress_bar(line, enabled=not json_out) as listener:
            data[label] = step(people=people, seed=seed, paid_through=DEMO_PAID_THROUGH, listener=listener)
        say(f"      xong sau {time.perf_counter() - t0:.1f} giây".replace(".", ",") + _step_counts(data[label]))
    emit({"logins": rows, "data": data}, json_out,
         lambda d: print_logins(d["logins"]) if logins else print("Dữ liệu dùng thử đã sẵn sàng; đang khởi động máy chủ…"))


def _step_counts(counts) -> str:
    if not isinstance(counts, dict):
        return ""
    flat = ", ".join(f"{k} {f'{v:,}'.replace(',', '.') if type(v) is int else v}" for k, v in counts.items()
                     if not isinstance(v, (dict, list)) and k != "seconds")
    return f": {flat}" if flat else ""


def print_logins(rows, url: str = "http://127.0.0.1:8000") -> None:
    print(f"Tài khoản dùng thử — mở {url} và đăng nhập bằng:")
    print(f"  {'Tên đăng nhập':<14} {'Mật khẩu':<14} {'Vai trò':<22} Phạm vi")
    for r in rows:
        print(f"  {r['username']:<14} {r['password']:<14} {r['role_label']:<22} {r['scope']}")
    keyed = [r for r in rows if r.get("totp")]
    if keyed:
        print("  Khoá xác thực hai lớp (hỏi trước khi phê duyệt tiền): thêm vào ứng dụng xác thực, "
              "hoặc in mã hiện tại bằng `ansinh demo totp LOGIN`:")
        for r in keyed:
            print(f"    {r['username']:<14} {r['totp']}")


@demo.command("totp")
def demo_totp(username: str, json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The current TOTP code of a demo user (their device has a published demo key)."""
    from django.contrib.auth import get_user_model

    from ansinh.core import twofactor

    user = get_user_model().objects.filter(username=username).first()
    device = twofactor.device_of(user) if user else None
    if device is None or device.key != twofactor.demo_key(username):
        fail(f"{username}: not a demo user with a demo TOTP key (ansinh demo users)")
    emit({"username": username, "code": twofactor.current_code(device.key)}, json_out, lambda d: print(d["code"]))


def _print_logins_when_up(addr: str, rows: list[dict], timeout: float = 120.0):
    """In the background: wait until the server accepts connections (it prints its banner just
    before), then print the demo logins, last on the screen."""
    import socket
    import threading

    host, _, port = addr.rpartition(":")
    host = host or "127.0.0.1"

    def wait_and_print():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, int(port)), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            return
        time.sleep(0.3)  # let the banner's last line reach the terminal first
        print("", flush=True)
        print_logins(rows, f"http://{addr}")
        print("Dừng máy chủ: Ctrl+C.", flush=True)

    thread = threading.Thread(target=wait_and_print, name="demo-logins", daemon=True)
    thread.start()
    return thread


def _ensure_var_dir() -> None:
    """var/ (database, uploads, job files) readable by its owner only, and the embedded database file too."""
    from django.conf import settings
    from django.db import connection

    settings.VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.VAR_DIR.chmod(0o700)
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and Path(name).is_absolute():  # not an in-memory test database
        db = Path(name)
        if not db.exists():
            db.touch(mode=0o600)  # before SQLite makes it (its -wal and -shm files take its mode)
        db.chmod(0o600)


def _register_backup() -> None:
    from ansinh.core.backup import backup_cmd, restore_cmd

    installation.command("backup")(backup_cmd)
    installation.command("restore")(restore_cmd)


_register_backup()
