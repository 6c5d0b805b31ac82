"""The PubGrub solver on its own: on random small universes it finds a solution exactly when one exists
(checked against exhaustive search), every solution it returns satisfies every dependency, and a failure's
proof rests on real requirements."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nupm.solver import ROOT, NoSolution, Solver


class Table:
    """A universe as data: name -> list of versions (best first), each a list of (dep, allowed indices)."""

    def __init__(self, packages: dict[str, list[list[tuple[str, frozenset]]]], root: list[tuple[str, frozenset]]):
        self.packages, self.root = packages, root

    def count(self, name):
        return len(self.packages.get(name, []))

    def matching(self, name, allowed):
        return sum(1 << i for i in allowed if i < self.count(name))

    def dependencies(self, name, index):
        if name == ROOT:
            return self.root
        # With the mask of every version that has the very same dependency, as a registry index tells.
        versions = self.packages[name]
        return [(dep, allowed, sum(1 << i for i, deps in enumerate(versions) if (dep, allowed) in deps))
                for dep, allowed in versions[index]]


def _valid(table: Table, chosen: dict[str, int]) -> bool:
    def met(deps):
        return all(dep in chosen and chosen[dep] in allowed for dep, allowed in deps)

    return met(table.root) and all(met(table.packages[n][i]) for n, i in chosen.items())


def _exists(table: Table) -> bool:
    names = sorted(table.packages)
    options = [[None, *range(len(table.packages[n]))] for n in names]
    for combo in itertools.product(*options):
        chosen = {n: i for n, i in zip(names, combo, strict=True) if i is not None}
        if _valid(table, chosen):
            return True
    return False


NAMES = ["a", "b", "c", "d", "e"]


@st.composite
def tables(draw):
    names = NAMES[:draw(st.integers(2, 5))]
    indices = st.frozensets(st.integers(0, 3), max_size=4)
    packages = {}
    for name in names:
        versions = []
        for _ in range(draw(st.integers(0, 4))):
            deps = draw(st.lists(st.tuples(st.sampled_from(names).filter(lambda d, n=name: d != n), indices),
                                 max_size=3, unique_by=lambda t: t[0]))
            versions.append(deps)
        packages[name] = versions
    root = draw(st.lists(st.tuples(st.sampled_from(names), indices), min_size=1, max_size=3, unique_by=lambda t: t[0]))
    return Table(packages, root)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_finds_a_solution_exactly_when_one_exists(table):
    try:
        chosen = Solver(table).solve(table.root)
    except NoSolution as failure:
        assert not _exists(table)
        facts = failure.facts()
        assert facts and all(fact[0] == "dependency" for fact in facts)
        return
    assert _valid(table, chosen), chosen


def test_backtracks_through_many_versions_without_giving_up():
    # Each of a..f has 8 versions; the 7 newest of each need a version of `shared` nobody else accepts, only
    # the oldest ones agree (on shared's first version). A chronological search tries 8^6 combinations;
    # learning from each conflict makes it linear.
    packages = {name: [[("shared", frozenset({1 + 7 * i + k}))] for k in range(7)] + [[("shared", frozenset({0}))]]
                for i, name in enumerate("abcdef")}
    packages["shared"] = [[] for _ in range(1 + 7 * 6)]
    table = Table(packages, [(n, frozenset(range(8))) for n in "abcdef"])
    chosen = Solver(table).solve(table.root)
    assert _valid(table, chosen)
    assert chosen == {**{n: 7 for n in "abcdef"}, "shared": 0}
