"""The one writer of ApiCall rows: every call of a machine client in (api.py) and every call
ansinh makes out to one (sender.py), refused ones too, recorded as a row and, in the same
transaction, as an entry of the hash-chained audit log (action api.call) carrying the row's
fields, so `ansinh audit verify` covers every call. Never an identifier of a person: the path,
the operation, the message id, the status and counts only."""
from __future__ import annotations

from django.db import transaction

from ansinh.audit.models import Action
from ansinh.audit.services import append
from ansinh.interop.models import ApiCall


def record(client, *, direction: str, method: str, path: str, operation: str, status: int,
           message_id: str = "", outcome: str = "", persons=()) -> ApiCall:
    """Write the call (and its audit entry, naming `persons` when the answer showed people)."""
    with transaction.atomic():
        call = ApiCall.objects.create(client=client, direction=direction, method=method[:8], path=path[:200],
                                      operation=operation[:40], status_code=status,
                                      message_id=(message_id or "")[:100], outcome=(outcome or "")[:300])
        append(Action.API_CALL, user=client.user if client is not None else None, persons=persons,
               object=f"interop.apicall {call.pk}", source=f"api {direction} {operation}"[:120],
               detail={"call": call.pk, "client": client.client_id if client is not None else "",
                       "direction": direction, "method": call.method, "path": call.path,
                       "operation": call.operation, "status": status, "message_id": call.message_id,
                       "outcome": call.outcome, "at": call.at.isoformat()})
    return call
