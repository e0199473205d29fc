"""Deterministic benchmark data and the plain-Python baseline of the same rules."""

from __future__ import annotations

import random
from decimal import Decimal

STATES = ["BOL", "AGO", "MOZ", "COD", "UGA", "TJK", "BDI", "PHL", "HTI", "DOM", "GIN", "LBR", "SLE",
          "LKA", "ARM", "KHM", "LAO", "MMR", "THA", "VNM", "CHE", "PER", "ECU", "KEN", "GHA"]


def member_states() -> dict:
    """A register: every state a member; CHE not developing; LBR under Article 4."""
    states = {}
    for code in STATES:
        states[code] = {
            "name": code, "member": True, "developing": code != "CHE", "article4": code == "LBR",
            "outstanding_contributions_usd": 0 if code not in ("HTI", "GIN") else 12_500,
        }
    return {"kind": "member_states", "as_of": "2016-01-01", "states": states}


def funded_projects() -> dict:
    return {"kind": "funded_projects", "projects": [
        {"id": f"P-{i}", "line": 1 + i % 2, "member_state": STATES[i % len(STATES)], "year": 2009 + i % 7,
         "amount_usd": 100_000 + 1_000 * i} for i in range(40)]}


def proposals(count: int, seed: int = 1035) -> list[dict]:
    """`count` small proposals, about a fifth of them failing some rule."""
    rng = random.Random(seed)
    out = []
    for number in range(count):
        regional = rng.random() < 0.3
        applicant = rng.choice(STATES)
        beneficiaries = [applicant] + rng.sample([s for s in STATES if s != applicant], 2) if regional else [applicant]
        line = 2 if rng.random() < 0.7 else 1
        ceiling = 300_000 if regional else 200_000
        requested = rng.randrange(50_000, ceiling + 40_000, 500)
        year = rng.choice([2007, 2009, 2012, 2015, 2016])
        out.append({
            "kind": "proposal",
            "id": f"BENCH-{number:05d}",
            "title": f"Benchmark proposal {number}",
            "submitted_on": f"{year}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}",
            "applicant": applicant,
            "government_request": rng.random() < 0.97,
            "scope": "regional" if regional else "national",
            "beneficiary_states": beneficiaries,
            "funding": {"line": line, "requested_usd": Decimal(requested)},
            "strategy_activities": rng.sample(range(1, 13), 2) + ([13] if rng.random() < 0.02 else []),
            "duration_months": rng.choice([12, 18, 24]),
        })
    return out


def plain_check(doc: dict, data: dict) -> list[tuple[str, str]]:
    """The same eight rules as benchmarks/policies/eight-rules.iom, by hand."""
    states = data["member_states"]["states"]
    lead = states.get(doc["applicant"], {})
    funding = doc["funding"]
    line2 = funding["line"] == 2
    national = doc["scope"] == "national"
    results = [
        ("request", "pass" if doc["government_request"] is True else "fail"),
        ("activities", "pass" if all(1 <= a <= 12 for a in doc["strategy_activities"]) else "fail"),
        ("member", "pass" if lead.get("member") is True else "fail"),
        ("developing", "pass" if lead.get("developing") is True else "fail"),
        ("line2_from_2008", ("pass" if int(doc["submitted_on"][:4]) >= 2008 else "fail") if line2 else "not_applicable"),
        ("article4", ("pass" if lead.get("article4") is False else "fail") if line2 else "not_applicable"),
        ("national_ceiling", ("pass" if funding["requested_usd"] <= 200_000 else "fail")
         if line2 and national else "not_applicable"),
        ("regional_ceiling", ("pass" if funding["requested_usd"] <= 300_000 else "fail")
         if line2 and not national else "not_applicable"),
    ]
    return results
