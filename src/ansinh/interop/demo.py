"""The interop demo step (ANSINH_DEMO only), after payroll: a payment-provider client for
Agribank (970405) in the demo province with published credentials (like the demo users'
password), its signing key in $ANSINH_VAR/interop/, and November's run prepared for it (the
batches a provider would receive), so the curl examples of docs/api.md work as written."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

from ansinh.core.demo import DEMO_PROVINCE
from ansinh.core.jobs import BadInput
from ansinh.interop import clients, sender, signing
from ansinh.interop.models import MachineClient

DEMO_CLIENT = "agribank-demo"
DEMO_SECRET = "ansinh-demo-client-secret"  # published, as the demo users' password is
DEMO_KEY_ID = "kdemo"
DEMO_URL = "http://127.0.0.1:8109"  # `ansinh interop provider-sim` listens there by default
# Another agency's system (DCI social registry search): the provincial police, published too.
DEMO_AGENCY = "cong-an-tinh-demo"
DEMO_AGENCY_SECRET = "ansinh-demo-agency-secret"
DEMO_AGENCY_FIELDS = ["name", "birth_year", "commune", "alive", "beneficiary"]


def key_file():
    return settings.VAR_DIR / "interop" / f"{DEMO_CLIENT}-ed25519.pem"


def demo_setup(**kwargs) -> dict:
    if not getattr(settings, "ANSINH_DEMO", False):
        return {"interop": "skipped: demo helpers need ANSINH_DEMO=1"}
    path = key_file()
    client = MachineClient.objects.filter(client_id=DEMO_CLIENT).first()
    if client is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = signing.new_private_key()
        path.write_text(signing.private_pem(key))
        path.chmod(0o600)
        clients.create_client(DEMO_CLIENT, name="Agribank (demo)", organisation="Ngân hàng Nông nghiệp và Phát triển "
                              "Nông thôn Việt Nam", kind="provider", operations=["disburse", "txn_status", "runs_read"],
                              scope=[kwargs.get("province_code", DEMO_PROVINCE)], provider_code="970405",
                              base_url=DEMO_URL, public_key=signing.public_b64(key), created_by="demo",
                              _demo={"secret": DEMO_SECRET, "key_id": DEMO_KEY_ID})
        client = clients.get_client(DEMO_CLIENT)
    out = {"client_id": DEMO_CLIENT, "client_secret": DEMO_SECRET, "key_id": DEMO_KEY_ID, "key_file": str(path)}
    if not MachineClient.objects.filter(client_id=DEMO_AGENCY).exists():
        clients.create_client(DEMO_AGENCY, name="Hệ thống tra cứu của Công an tỉnh (demo)",
                              organisation="Công an tỉnh", kind="agency", operations=["search"],
                              scope=[kwargs.get("province_code", DEMO_PROVINCE)], fields=DEMO_AGENCY_FIELDS,
                              created_by="demo", _demo={"secret": DEMO_AGENCY_SECRET, "key_id": "kdemo-agency"})
    out.update({"agency_client_id": DEMO_AGENCY, "agency_client_secret": DEMO_AGENCY_SECRET})
    from ansinh.payroll.models import PayrollRun, RunStatus

    run = PayrollRun.objects.filter(status__in=[RunStatus.EXPORTED, RunStatus.RECONCILED]).order_by("-period").first()
    checker = get_user_model().objects.filter(username="pheduyet").first()
    if run is not None and checker is not None:
        try:
            batches = sender.prepare(run, client, user=checker)
            out.update({"run": run.pk, "batches": len(batches), "lines": sum(b.lines for b in batches)})
        except BadInput as exc:
            out["run"] = f"not prepared: {exc}"
    return out
