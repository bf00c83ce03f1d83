"""Matching results: a dedupe run over the registry and its candidate pairs.

A MatchPair is about two persons, so it is scoped by both: it is visible (and decidable)
only to a user whose scope covers person A *and* person B, read from the persons' current
keys (``ScopeMeta.also``, see ansinh.core.scope).  A pair within one commune goes to that
commune's officers; a pair across communes goes to the province (whose scope covers both);
a pair across provinces to a user with both.  The pair's own ``scope_commune`` /
``province_code`` record where it was routed when found (the commune both persons shared,
else none; the province both shared, else none).  IdProposal is about one person and reads
that person's current keys.  MatchRun holds only counts and the trained model parameters
(no personal data) and is reached through its job.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ansinh.core.crypto import EncryptedCharField
from ansinh.core.models import ScopeKeys


class PairStatus(models.TextChoices):
    OPEN = "open", _("Chờ xem xét")
    CONFIRMED = "confirmed", _("Đã xác nhận trùng")
    REJECTED = "rejected", _("Không trùng")


class MatchRun(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    province_code = models.CharField(max_length=3, blank=True)
    threshold = models.FloatField(default=0.9)
    records = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)   # timings, block sizes
    model = models.JSONField(default=dict, blank=True)   # trained Splink model (λ, m/u per level)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]


class MatchPair(ScopeKeys):
    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="pair_set")
    person_a = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    cluster = models.BigIntegerField(db_index=True)   # smallest person id of the cluster
    match_probability = models.FloatField()
    match_weight = models.FloatField()
    contributions = models.JSONField(default=dict, blank=True)  # field -> match weight (log2 Bayes factor)
    # Reaches the threshold only through a shared account: two people paid through one authorised
    # person, perhaps; reviewed, never clustered (engine.CONTACT_FIELDS).
    shared_contact = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # A decided pair is a labelled pair (training labels for the m probabilities, and a regression
    # set): a later run never changes its decision nor clusters against it; it records here what
    # that run's model said, and whether it disagrees with the decision (shown for review).
    checked_run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    model_probability = models.FloatField(null=True, blank=True)
    model_disagrees = models.BooleanField(default=False)

    class ScopeMeta:
        commune = "person_a__scope_commune"
        province = "person_a__province_code"
        also = (("person_b__scope_commune", "person_b__province_code"),)

    class Meta:
        ordering = ["-match_probability", "id"]
        indexes = [models.Index(fields=["status", "province_code"]), models.Index(fields=["person_a", "person_b"])]


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Chờ xem xét")
    ACCEPTED = "accepted", _("Đã chấp nhận")
    REJECTED = "rejected", _("Đã từ chối")


class IdProposal(ScopeKeys):
    """Population-data verification: a beneficiary whose ID number is missing or not found
    in the population extract, the most likely population record (probabilistic search)
    and its ID number, for an officer to accept (the ID is written through the registry's
    history-keeping service) or reject.  Scoped by the person's current keys."""

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10)  # "missing" (no ID in the registry) / "not_found" (ID not in the extract)
    # ID numbers, encrypted at rest (ansinh.core.crypto; decision 0025): never looked up, only shown masked
    current_id = EncryptedCharField(max_length=20, blank=True)
    proposed_id = EncryptedCharField(max_length=20)
    probability = models.FloatField()
    source = models.CharField(max_length=255, blank=True)   # population file name
    source_row = models.PositiveIntegerField(null=True, blank=True)
    population_name = models.CharField(max_length=200, blank=True)
    population_dob = models.DateField(null=True, blank=True)
    population_gender = models.CharField(max_length=1, blank=True)
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    created = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class ScopeMeta:
        commune = "person__scope_commune"
        province = "person__province_code"

    class Meta:
        ordering = ["-probability", "id"]
        indexes = [models.Index(fields=["status", "province_code"])]
