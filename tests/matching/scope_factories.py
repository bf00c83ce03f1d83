"""Scope-matrix factories for the matching app's scoped models (tests/core/test_scope_matrix.py)."""
from ansinh.matching.models import MatchPair, MatchRun
from ansinh.registry.models import Person
from ansinh.text import fold

MARKER = "Zqxmarkerb"


def _pair(b, i):
    """A pair of two persons of commune B. MatchPair is scoped by both persons' current keys
    (MatchPair.ScopeMeta.also), so both persons are filed under B; its own keys are the unit
    covering both (B). Cross-commune pairs are covered by tests/matching/test_pair_scope.py."""
    run = MatchRun.objects.create(province_code=b.province_code)
    people = []
    for k in range(2):
        name = f"{MARKER} Văn {i}{k}"
        people.append(Person.objects.create(full_name=name, name_key=fold(name), scope_commune=b, commune=b,
                                            residence_unit=b, province_code=b.province_code))
    return MatchPair.objects.create(run=run, person_a=people[0], person_b=people[1], cluster=people[0].pk,
                                    match_probability=0.97, match_weight=12.0, contributions={"given": 4.0},
                                    scope_commune=b, province_code=b.province_code)


FACTORIES = {"matching.MatchPair": _pair}


def _proposal(b, i):
    from ansinh.matching.models import IdProposal

    name = f"{MARKER} Thị {i}"
    person = Person.objects.create(full_name=name, name_key=fold(name), scope_commune=b, commune=b,
                                   residence_unit=b, province_code=b.province_code)
    return IdProposal.objects.create(person=person, reason="missing", proposed_id=f"0201900{i:05d}",
                                     probability=0.95, source="dan_cu.xlsx", source_row=i + 2,
                                     population_name=name, scope_commune=b, province_code=b.province_code)


FACTORIES["matching.IdProposal"] = _proposal
