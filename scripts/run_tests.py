"""Run the test suite on SQLite, then on PostgreSQL if one answers. Says which ran.

PostgreSQL: $DATABASE_URL if it is a postgres:// URL, else postgres://postgres@127.0.0.1:5432/test.
Extra arguments go to pytest.
"""
from __future__ import annotations

import os
import subprocess
import sys

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/test"


def pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = PG_DEFAULT
    try:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        print(f"[make test] PostgreSQL not answering at {url}: {str(exc).splitlines()[0] if str(exc) else exc}")
        return None
    return url


def chromium() -> str | None:
    import shutil

    return os.environ.get("ANSINH_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def spark_missing() -> str | None:
    """Why the Spark engine tests (tests/spark) cannot run here, or None."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark not installed: pip install -e '.[spark]'"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime: apt-get install openjdk-17-jre-headless"
    return None


def nginx_missing() -> str | None:
    """Why the deployment test (tests/deploy/test_nginx_stack.py) cannot run here, or None. As root
    (CI, which installs nginx) a missing nginx is a failure of that test, never a silent skip."""
    import shutil

    if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
        return None
    if os.geteuid() == 0:
        return None
    return "nginx not installed (apt-get install nginx; .ci/run installs it)"


EXTRA: list[str] = []


def run(label: str, env: dict, extra: tuple[str, ...] = ()) -> int:
    print(f"\n[make test] === {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *EXTRA, *extra, *sys.argv[1:]], env=env)


def main() -> int:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    results = {}
    browser = chromium()
    if not browser:
        EXTRA.append("--ignore=tests/browser")
        print("[make test] NOTE: chromium not installed: browser tests (tests/browser) NOT run "
              "(apt-get install chromium; .ci/run installs it)")
    no_spark = spark_missing()
    if no_spark:
        EXTRA.append("--ignore=tests/spark")
        print(f"[make test] NOTE: Spark engine tests (tests/spark) NOT run: {no_spark} (.ci/run installs both)")
    no_nginx = nginx_missing()
    if no_nginx:
        EXTRA.append("--ignore=tests/deploy/test_nginx_stack.py")
        print(f"[make test] NOTE: deployment test (tests/deploy/test_nginx_stack.py) NOT run: {no_nginx}")
    results["SQLite"] = run("SQLite (embedded)", base)
    url = pg_url()
    if url:
        # tests/spark use no database: run once, with the SQLite pass
        results["PostgreSQL"] = run(f"PostgreSQL ({url})", {**base, "DATABASE_URL": url},
                                    () if no_spark else ("--ignore=tests/spark",))
    else:
        results["PostgreSQL"] = None
    print("\n[make test] summary:")
    print(f"  browser tests: {'run with ' + browser if browser else 'NOT run (no chromium)'}")
    print(f"  Spark engine tests: {'NOT run (' + no_spark + ')' if no_spark else 'run (with the SQLite pass)'}")
    print(f"  deployment test (nginx + gunicorn + worker): {'NOT run (' + no_nginx + ')' if no_nginx else 'run'}")
    for name, rc in results.items():
        print(f"  {name}: {'not run (no server)' if rc is None else ('passed' if rc == 0 else f'FAILED (exit {rc})')}")
    return 0 if all(rc in (0, None) for rc in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
