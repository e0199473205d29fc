"""Dates in the encoding: `year(d)` and the date a calendar or budget is judged as of,
against Python's calendar (the evaluator's)."""

from __future__ import annotations

import calendar
import datetime as dt
import random

import pytest

pytest.importorskip("z3", reason="the analysis extra (z3-solver) is not installed: pip install -e '.[analysis]'")

import z3  # noqa: E402

from iompolicy import PolicySet  # noqa: E402
from iompolicy.analysis.encode import document_date  # noqa: E402
from iompolicy.analysis.semantics import year_of  # noqa: E402
from iompolicy.analysis.symbolic import Universe  # noqa: E402
from iompolicy.analysis.texts import Texts  # noqa: E402

from conftest import ROOT  # noqa: E402


def _edges():
    """The days around every boundary the leap-year rule has, and the ends of the range."""
    days = {1, 2, 365, 366, 367, dt.date.max.toordinal(), dt.date.max.toordinal() - 1}
    for year in (4, 100, 400, 1600, 1700, 1900, 2000, 2004, 2007, 2100, 2400, 9996, 9999):
        for date in (dt.date(year, 1, 1), dt.date(year, 2, 28), dt.date(year, 12, 31)):
            days.update(date.toordinal() + k for k in (-1, 0, 1))
        if calendar.isleap(year):
            days.add(dt.date(year, 2, 29).toordinal())
    return sorted(d for d in days if 1 <= d <= dt.date.max.toordinal())


def test_the_year_of_a_day_is_the_calendars_at_every_leap_year_boundary_and_at_random():
    day = z3.Int("day")
    year = year_of(day)
    days = _edges() + random.Random(17).sample(range(1, dt.date.max.toordinal() + 1), 2000)
    wrong = [(d, z3.simplify(z3.substitute(year, (day, z3.IntVal(d))))) for d in days]
    assert [(d, y) for d, y in wrong if y.as_long() != dt.date.fromordinal(d).year] == []


def test_the_solver_finds_the_days_of_a_year_and_only_those():
    day = z3.Int("day")
    solver = z3.Solver()
    solver.add(year_of(day) == 2000, day >= 1, day <= dt.date.max.toordinal())
    lowest = z3.Optimize()
    lowest.add(*solver.assertions())
    handle = lowest.minimize(day)
    assert lowest.check() == z3.sat and lowest.lower(handle).as_long() == dt.date(2000, 1, 1).toordinal()
    solver.add(z3.Or(day < dt.date(2000, 1, 1).toordinal(), day > dt.date(2000, 12, 31).toordinal()))
    assert solver.check() == z3.unsat


@pytest.mark.parametrize("clause_date", [dt.date(2007, 6, 7), dt.date(2007, 12, 31), dt.date(2008, 1, 1)])
def test_a_calendar_is_judged_as_of_31_december_of_its_year(clause_date):
    policies = PolicySet.load(ROOT / "policies")
    universe = Universe(policies.schemas, "governance_calendar", 1, Texts.of([policies], policies.schemas))
    known, before, after = document_date(universe)
    year = universe.document.value["year"].value
    for value in range(2005, 2011):
        judged = dt.date(value, 12, 31)
        at = lambda formula: z3.is_true(z3.simplify(z3.substitute(formula, (year, z3.RealVal(value)))))  # noqa: E731
        assert at(before(clause_date)) == (judged < clause_date)
        assert at(after(clause_date)) == (judged > clause_date)
