"""DCI social registry search (spdci/standards, release/yaml/social_api_v1.0.0.yaml,
/registry/sync/search): another agency's system (the commune police verifying a list, a bank
checking a holder's name) asks whether a person with an identifier (and, optionally, a name and
a birth year) is in the registry, within its scope, and is answered only the fields it is
allowed (MachineClient.fields). Every answer is a person.view entry of the audit log naming the
people found (besides the api.call entry of the call itself, calls.record).

Identifiers are looked up through the ORM (`filter(id_number=x)`): the column is being made
encrypted with a keyed-hash lookup, which keeps that working; never a raw SQL comparison, never
LIKE. One query per searched identifier, at most MAX_ITEMS per message.

Queries understood (query_type):
* `idtype-value`: {"type": "UIN" | "NationalID" | "CCCD" | "CMND", "value": "<number>"};
* `predicate`: a list of expressions (operator `eq`, condition `and`) on the attributes UIN /
  NationalID / CCCD / CMND (one is required), YOB (birth year) and name (full name, compared
  without tone marks and case, as the registry's name_key).
Anything else is answered `rjct` with `rjct.search_criteria.invalid` for that item."""
from __future__ import annotations

import datetime as dt
import re
import uuid

from django.utils import timezone

from ansinh.audit.models import Action
from ansinh.audit.services import append
from ansinh.core.scope import scoped
from ansinh.interop import signing
from ansinh.interop.models import MachineClient, SearchField
from ansinh.registry.models import Enrolment, Gender, Person, PersonStatus, active_in_q
from ansinh.text import fold

VERSION = "1.0.0"
MAX_ITEMS = 100  # search_request items per message
MAX_RECORDS = 10  # records per item (an identifier names one person; an old CMND may name several)
ID_TYPES = {"UIN": "id_number", "NATIONALID": "id_number", "CCCD": "id_number", "CMND": "legacy_cmnd"}
ID_FORMS = {"id_number": re.compile(r"\d{12}"), "legacy_cmnd": re.compile(r"\d{9}")}
YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


class Refused(Exception):
    """The whole message is refused (HTTP `status`, an Error code of the spec)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


def now_iso() -> str:
    return timezone.now().astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def http_error(code: str, message: str) -> dict:
    """The spec's HttpErrorResponse body."""
    return {"errors": [{"code": code, "message": message[:999]}]}


# --------------------------------------------------------------------------- reading a query

class BadItem(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def criteria(search_criteria) -> dict:
    """{field, value, id_type, name_key, year} of one item's search_criteria; BadItem otherwise."""
    if not isinstance(search_criteria, dict):
        raise BadItem("rjct.search_criteria.invalid", "search_criteria: an object is required")
    qtype, query = search_criteria.get("query_type"), search_criteria.get("query")
    terms: list[tuple[str, object]] = []
    if qtype == "idtype-value":
        if not isinstance(query, dict):
            raise BadItem("rjct.search_criteria.invalid", "query: {type, value} is required")
        terms.append((str(query.get("type") or ""), query.get("value")))
    elif qtype == "predicate":
        if not isinstance(query, list) or not query:
            raise BadItem("rjct.search_criteria.invalid", "query: a list of expressions is required")
        for p in query:
            if not isinstance(p, dict):
                raise BadItem("rjct.search_criteria.invalid", "query: each predicate is an object")
            if p.get("condition") not in (None, "and"):
                raise BadItem("rjct.search_criteria.invalid", "query: only the condition 'and' is supported")
            for key in ("expression1", "expression2"):
                e = p.get(key)
                if e is None and key == "expression2":
                    continue
                if not isinstance(e, dict) or e.get("operator") != "eq":
                    raise BadItem("rjct.search_criteria.invalid", "query: expressions with the operator 'eq' only")
                terms.append((str(e.get("attribute_name") or ""), e.get("attribute_value")))
    else:
        raise BadItem("rjct.search_criteria.invalid", "query_type: idtype-value or predicate")
    out = {"field": None, "value": None, "id_type": "", "name_key": None, "year": None}
    for name, value in terms:
        upper = name.upper()
        if upper in ID_TYPES:
            field = ID_TYPES[upper]
            text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
            if out["field"] is not None or not ID_FORMS[field].fullmatch(text):
                raise BadItem("rjct.search_criteria.invalid",
                              f"{name}: one identifier of {12 if field == 'id_number' else 9} digits")
            out.update(field=field, value=text, id_type=name)
        elif upper == "YOB":
            text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
            if not YEAR.fullmatch(text):
                raise BadItem("rjct.search_criteria.invalid", "YOB: a year of four digits")
            out["year"] = int(text)
        elif upper == "NAME":
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise BadItem("rjct.search_criteria.invalid", "name: a full name")
            out["name_key"] = fold(value)
        else:
            raise BadItem("rjct.search_criteria.invalid",
                          "attribute: UIN, NationalID, CCCD, CMND, YOB or name")
    if out["field"] is None:
        raise BadItem("rjct.search_criteria.invalid", "an identifier (UIN, NationalID, CCCD or CMND) is required")
    return out


# --------------------------------------------------------------------------- answering

def find(client: MachineClient, c: dict) -> list[Person]:
    """The people of the client's scope with the identifier (and name, birth year when given)."""
    qs = scoped(Person, client.user).filter(**{c["field"]: c["value"]})  # ORM: the keyed-hash lookup
    if c["name_key"] is not None:
        qs = qs.filter(name_key=c["name_key"])
    if c["year"] is not None:
        qs = qs.filter(dob__year=c["year"])
    return list(qs.select_related("commune").order_by("pk")[:MAX_RECORDS])


def record_of(person: Person, c: dict, fields: set[str], beneficiary: bool) -> dict:
    """A DCI social Member record of `person` with only the `fields` allowed (and the identifier
    the client searched by, which it already knows)."""
    info: dict = {"@type": "SRPerson"}
    if SearchField.NAME in fields:
        surname, _, given = person.full_name.strip().partition(" ")
        info["name"] = {"@type": "Name", "surname": surname, "given_name": given}
    if SearchField.SEX in fields and person.gender:
        info["sex"] = "male" if person.gender == Gender.MALE else "female"
    if SearchField.BIRTH_DATE in fields and person.dob and person.dob_precision == "day":
        info["birth_date"] = person.dob.isoformat()
    if (SearchField.BIRTH_YEAR in fields or SearchField.BIRTH_DATE in fields) and person.dob:
        info["birth_year"] = person.dob.year
    address = {}
    if SearchField.COMMUNE in fields and person.commune_id:
        address["locality"] = person.commune.name
    if SearchField.ADDRESS in fields and (person.village or person.address_text):
        address["street_address"] = ", ".join(x for x in (person.village, person.address_text) if x)
    if address:
        info["address"] = {"@type": "Address", **address}
    rec: dict = {"@type": "spdci:Member",
                 "member_identifier": [{"@type": "Identifier", "identifier_type": c["id_type"],
                                        "identifier_value": c["value"]}],
                 "demographic_info": info}
    if SearchField.ALIVE in fields:
        rec["is_deceased"] = person.status == PersonStatus.DECEASED
    if SearchField.BENEFICIARY in fields:
        rec["additional_attributes"] = [{"services": "receives_subsidy"}] if beneficiary else []
    return rec


def _beneficiaries(client: MachineClient, people: list[Person]) -> set[int]:
    if not people:
        return set()
    today = timezone.localdate()
    return set(scoped(Enrolment, client.user).filter(active_in_q(today), person_id__in=[p.pk for p in people])
               .values_list("person_id", flat=True))


def check_envelope(client: MachineClient, body: dict) -> tuple[dict, dict]:
    """(header, message) of a search envelope from `client`; Refused otherwise. A signature, when
    given, is verified with one of the client's live keys (the bearer token authenticates)."""
    from ansinh.interop import receive

    header, message = body.get("header"), body.get("message")
    if not isinstance(header, dict) or not isinstance(message, dict):
        raise Refused("err.request.bad", "header and message: objects are required")
    if header.get("action") != "search":
        raise Refused("err.request.bad", "header.action: search")
    if header.get("sender_id") != client.client_id:
        raise Refused("err.sender_id.invalid", "header.sender_id: the calling client's id", 403)
    mid = header.get("message_id")
    if not isinstance(mid, str) or not mid or len(mid) > 100:
        raise Refused("err.request.bad", "header.message_id: a string of at most 100 characters")
    if header.get("is_msg_encrypted") or "ciphertext" in message:
        raise Refused("err.encryption.invalid", "encrypted messages are not accepted; send the message signed")
    if body.get("signature") is not None:
        try:
            receive.verify_signature(client, body.get("signature"), header, message)
        except receive.Refused as exc:
            raise Refused(exc.code, str(exc), exc.status) from None
    tx, items = message.get("transaction_id"), message.get("search_request")
    if not isinstance(tx, str) or not tx or len(tx) > 99:
        raise Refused("err.request.bad", "message.transaction_id: a string of at most 99 characters")
    if not isinstance(items, list) or not items:
        raise Refused("err.request.bad", "message.search_request: a list of search requests")
    if len(items) > MAX_ITEMS:
        raise Refused("err.request.bad", f"message.search_request: at most {MAX_ITEMS} requests per message")
    return header, message


def search(client: MachineClient, body: dict) -> tuple[dict, list[int]]:
    """The signed on-search envelope answering `body` (a /registry/sync/search envelope), and the
    ids of the people it shows (audited here: one person.view entry)."""
    header, message = check_envelope(client, body)
    fields = set(client.fields or [])
    answers, seen_refs, shown = [], set(), []
    for n, item in enumerate(message["search_request"]):
        ref = item.get("reference_id") if isinstance(item, dict) else None
        ans = {"reference_id": ref if isinstance(ref, str) and ref else f"item-{n}", "timestamp": now_iso()}
        try:
            if not isinstance(ref, str) or not ref or len(ref) > 99:
                raise BadItem("rjct.reference_id.invalid", "reference_id: a string is required")
            if ref in seen_refs:
                raise BadItem("rjct.reference_id.duplicate", "reference_id: used twice in this message")
            seen_refs.add(ref)
            c = criteria(item.get("search_criteria"))
        except BadItem as exc:
            answers.append({**ans, "status": "rjct", "status_reason_code": exc.reason,
                            "status_reason_message": str(exc)})
            continue
        people = find(client, c)
        paid = _beneficiaries(client, people) if SearchField.BENEFICIARY in fields else set()
        shown += [p.pk for p in people]
        answers.append({**ans, "status": "succ",
                        "data": {"version": VERSION,
                                 "reg_records": [record_of(p, c, fields, p.pk in paid) for p in people]},
                        "pagination": {"page_size": MAX_RECORDS, "page_number": 1, "total_count": len(people)}})
    correlation = f"ansinh-{uuid.uuid4().hex[:20]}"
    if shown:
        append(Action.PERSON_VIEW, user=client.user, persons=shown,
               object=f"dci.search {message['transaction_id'][:60]}", source="api dci search",
               detail={"client": client.client_id, "correlation_id": correlation,
                       "fields": sorted(fields), "requests": len(answers), "found": len(set(shown))})
    # The message was processed (status succ); each item carries its own status.
    out_header = {"version": VERSION, "message_id": uuid.uuid4().hex, "message_ts": now_iso(),
                  "action": "on-search", "status": "succ", "total_count": len(answers),
                  "completed_count": len(answers), "sender_id": _sender_id(), "receiver_id": client.client_id}
    out_message = {"transaction_id": message["transaction_id"], "correlation_id": correlation,
                   "search_response": answers}
    return {"signature": _sign(out_header, out_message), "header": out_header, "message": out_message}, shown


def _sender_id() -> str:
    from ansinh.interop.sender import sender_id

    return sender_id()


def _sign(header: dict, message: dict) -> str:
    from ansinh.interop.sender import sender_key

    kid, key = sender_key()
    return signing.sign(header, message, key, sender_id=header["sender_id"], key_id=kid)
