"""gunicorn's own settings that a command line cannot say well: its log records (worker boot, timeouts,
crashes) as JSON lines like the application's (ansinh.core.logs), no access log of its own
(RequestIdMiddleware writes one line per request, without query strings; gunicorn's would carry them).

Used by deploy/systemd/ansinh-web.service: `gunicorn --config python:ansinh.core.gunicorn_conf …`.
"""
import os

accesslog = None
# systemd drives the server with signals (HUP reload, TERM stop); no control socket in $HOME.
control_socket_disable = True
# Worker heartbeat files in memory, not on a possibly slow disk (gunicorn's advice for systemd).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

if os.environ.get("ANSINH_LOG_FORMAT", "text").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ansinh.core.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                 "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
                    "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
    }
