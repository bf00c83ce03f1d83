"""Locust users for bench/load.py (issue 17): commune officers and province users at once.

Run by bench/load.py, which prepares the users, the lists to import and the servers. Local only:
the host is 127.0.0.1. Environment: LOAD_USERS (JSON file written by bench/load.py: logins,
password, the files each commune officer imports, the period a province user generates).
"""
from __future__ import annotations

import json
import os
import random
import re
import threading

from locust import HttpUser, between, events, task

CONF = json.load(open(os.environ["LOAD_USERS"], encoding="utf-8"))
_lock = threading.Lock()
_communes = list(CONF["communes"])
_provinces = list(CONF["provinces"])
_generated = [False]
PERSON_LINK = re.compile(r'href="(/registry/persons/\d+/)"')
SEARCH_TERMS = ["Nguyễn", "Hoàng", "Lương", "Vi Văn", "Nông Thị", "Hà", "Lý", "Triệu"]


def _csrf(page: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return m.group(1) if m else ""


class _Official(HttpUser):
    abstract = True
    wait_time = between(2, 10)  # a person reading a page (or typing) before the next click: 6 s on average

    def login(self, username: str) -> None:
        page = self.client.get("/login/", name="login form").text
        r = self.client.post("/login/", {"username": username, "password": CONF["password"],
                                         "csrfmiddlewaretoken": _csrf(page)},
                             headers={"Referer": f"{self.host}/login/"}, allow_redirects=False, name="login")
        if r.status_code != 302:
            raise RuntimeError(f"log-in as {username} failed ({r.status_code})")

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            return r.text


class CommuneOfficer(_Official):
    weight = 65

    def on_start(self):
        with _lock:
            self.me = _communes.pop(0) if _communes else random.choice(CONF["communes"])
        self.login(self.me["login"])
        self.persons: list[str] = []
        self.imported = False

    @task(4)
    def people(self):
        text = self.page("/registry/", "registry: people")
        self.persons = PERSON_LINK.findall(text)[:30] or self.persons

    @task(4)
    def person(self):
        if self.persons:
            self.page(random.choice(self.persons), "registry: a person")

    @task(3)
    def search(self):
        self.page(f"/registry/?q={random.choice(SEARCH_TERMS)}", "registry: search by name")

    @task(2)
    def home(self):
        self.page("/", "home")

    @task(2)
    def review(self):
        self.page("/registry/review/", "registry: review queue")

    @task(2)
    def coverage(self):
        self.page("/accounts/", "accounts: coverage")

    @task(1)
    def payroll(self):
        self.page("/payroll/", "payroll: runs")

    @task(1)
    def import_list(self):
        path = self.me.get("file")
        if not path or self.imported:
            return
        self.imported = True
        form = self.page("/registry/import/", "registry: import form")
        with open(path, "rb") as fh:
            r = self.client.post("/registry/import/", data={"csrfmiddlewaretoken": _csrf(form), "paid_through": ""},
                                 files={"file": (os.path.basename(path), fh,
                                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
                                 headers={"Referer": f"{self.host}/registry/import/"}, name="registry: import (upload)",
                                 allow_redirects=False)
        if r.status_code != 302:
            events.request.fire(request_type="JOB", name="import refused", response_time=0, response_length=0,
                                exception=RuntimeError(f"import answered {r.status_code}"), context={})


class ProvinceUser(_Official):
    weight = 10

    def on_start(self):
        with _lock:
            self.me = _provinces.pop(0) if _provinces else random.choice(CONF["provinces"])
        self.login(self.me["login"])

    @task(3)
    def home(self):
        self.page("/", "home")

    @task(3)
    def coverage(self):
        self.page("/accounts/", "accounts: coverage")

    @task(2)
    def people(self):
        self.page(f"/registry/?q={random.choice(SEARCH_TERMS)}", "registry: search by name")

    @task(2)
    def payroll(self):
        self.page("/payroll/", "payroll: runs")

    @task(1)
    def units(self):
        self.page("/units/", "units")

    @task(1)
    def outreach(self):
        self.page("/outreach/", "outreach")

    @task(1)
    def jobs(self):
        self.page("/jobs/", "jobs")

    @task(1)
    def generate(self):
        """One province user starts one province-wide payroll generation during the run."""
        with _lock:
            if _generated[0] or not self.me.get("generates"):
                return
            _generated[0] = True
        form = self.page("/payroll/", "payroll: runs")
        r = self.client.post("/payroll/generate/", {"csrfmiddlewaretoken": _csrf(form), "period": CONF["period"]},
                             headers={"Referer": f"{self.host}/payroll/"}, allow_redirects=False,
                             name="payroll: generate (start)")
        if r.status_code != 302:
            events.request.fire(request_type="JOB", name="generate refused", response_time=0, response_length=0,
                                exception=RuntimeError(f"generate answered {r.status_code}"), context={})
