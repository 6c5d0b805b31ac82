"""PubGrub over finite version lists: the search behind `nupm lock`.

This is the algorithm of Dart's pub, cargo's and uv's resolvers (Natalie Weizenbaum, "PubGrub:
Next-Generation Version Solving", 2018): decide one package version at a time, propagate what the
incompatibilities known so far imply, and when a conflict arises learn a new incompatibility from it and
jump back to where it first applies. It never gives up while a solution exists and never tries the same
dead end twice.

Each package's versions are known in full when it is first met (a registry index lists them), so a set
of versions is a bitmask over that package's candidate list, best first: bit i is candidate i. A term also
says whether "not selected at all" is in it (the negative terms of the paper), which makes every set
operation two integer operations. The solver knows nothing of nupm: a `Provider` numbers the candidates,
says which satisfy a requirement and lists a candidate's dependencies; failures come back as the
incompatibility that proves there is no solution, whose derivation names every requirement involved.
"""

from __future__ import annotations

import heapq
from typing import Protocol


class Provider(Protocol):
    def count(self, name: str) -> int:
        """How many candidates `name` has (fixed for the whole solve)."""

    def matching(self, name: str, requirement) -> int:
        """Bitmask of the candidates of `name` that satisfy `requirement`."""

    def dependencies(self, name: str, index: int) -> list[tuple]:
        """(dependency name, requirement) of candidate `index` of `name`, or (name, requirement, mask) where
        `mask` holds every candidate of `name` known to have this very dependency: one incompatibility
        then rules out all of them at once, as pubgrub-rs does for version ranges with equal dependencies."""


ROOT = ""  # the project itself: one candidate, depending on the project's requirements


class Term:
    """The states of one package a term allows: candidates (`mask`) and, if `absent`, not being selected.
    Never changed once made (a plain class: a frozen dataclass costs several times more to create, and the
    solver makes one for every assignment)."""

    __slots__ = ("mask", "absent")

    def __init__(self, mask: int, absent: bool):
        self.mask, self.absent = mask, absent

    def __repr__(self) -> str:
        return f"Term({self.mask:#b}, absent={self.absent})"

    def __and__(self, other: Term) -> Term:
        return Term(self.mask & other.mask, self.absent and other.absent)

    def inverse(self, full: int) -> Term:
        return Term(full & ~self.mask, not self.absent)

    def within(self, other: Term) -> bool:
        """Every state of self is one of other's."""
        return not self.mask & ~other.mask and (other.absent or not self.absent)

    def disjoint(self, other: Term) -> bool:
        return not self.mask & other.mask and not (self.absent and other.absent)


class Incompatibility:
    """States that cannot all hold at once: package -> term. `cause` is ("dependency", name, index,
    requirement) for a fact from the provider, or ("derived", left, right) for one learned from a conflict."""

    __slots__ = ("terms", "cause", "contradicted")

    def __init__(self, terms: dict[str, Term], cause: tuple):
        self.terms, self.cause = terms, cause
        # The assignment after which a term was found contradicted: while it stays in the partial solution,
        # the package's state only narrows, so the incompatibility stays contradicted: no need to look again.
        self.contradicted: _Assignment | None = None


class _Assignment:
    __slots__ = ("name", "term", "level", "cause", "index")

    def __init__(self, name: str, term: Term, level: int, cause: Incompatibility | None, index: int):
        self.name, self.term, self.level = name, term, level
        self.cause = cause  # None: a decision
        self.index = index  # position in the whole partial solution


class NoSolution(Exception):
    def __init__(self, incompatibility: Incompatibility):
        super().__init__("no solution")
        self.incompatibility = incompatibility

    def facts(self) -> list[tuple]:
        """The provider facts the proof rests on, in the order the derivation meets them, each once."""
        seen: set[int] = set()
        out: list[tuple] = []
        stack = [self.incompatibility]
        while stack:
            inc = stack.pop()
            if id(inc) in seen:
                continue
            seen.add(id(inc))
            if inc.cause[0] == "derived":
                stack.extend((inc.cause[2], inc.cause[1]))
            else:
                out.append(inc.cause)
        return out


class Solver:
    def __init__(self, provider: Provider):
        self.provider = provider
        self.full: dict[str, int] = {ROOT: 1}  # name -> mask of all its candidates
        self.incompatibilities: dict[str, list[Incompatibility]] = {}
        self.facts: dict[tuple, Incompatibility] = {}  # the provider's dependencies, once each
        self.chosen_before: dict[tuple[str, int], list[Incompatibility]] = {}  # (name, index) -> its facts
        self.assignments: list[_Assignment] = []
        self.by_name: dict[str, list[_Assignment]] = {}
        self.state: dict[str, Term] = {}  # name -> intersection of its assignments
        self.decided: dict[str, int] = {}
        self.level = 0
        self.queue: list[tuple] = []  # (priority, order, name) of packages to decide
        self.order = 0
        self.queued: set[str] = set()

    # -- the main loop ---------------------------------------------------------------------------
    def solve(self, root_requirements: list[tuple[str, object]]) -> dict[str, int]:
        """name -> chosen candidate index for every selected package (ROOT excluded)."""
        self._add_dependencies(ROOT, 0, root_requirements)
        self._assign(ROOT, Term(1, False), None)
        self.decided[ROOT] = 0
        changed = ROOT
        while changed is not None:
            self._propagate(changed)
            changed = self._decide()
        return {name: index for name, index in self.decided.items() if name != ROOT}

    def _full(self, name: str) -> int:
        full = self.full.get(name)
        if full is None:
            full = self.full[name] = (1 << self.provider.count(name)) - 1
        return full

    # -- incompatibilities ------------------------------------------------------------------------
    def _add_dependencies(self, name: str, index: int, deps: list[tuple]) -> list[Incompatibility]:
        added = []
        for dep, requirement, *shared in deps:
            allowed = self.provider.matching(dep, requirement)
            versions = (1 << index) | (shared[0] if shared else 0)
            # A version decided again after a backjump, or one whose dependency an earlier version shared,
            # brings nothing new: each fact is added once.
            key = (name, versions, dep, allowed)
            known = self.facts.get(key)
            if known is None:
                terms = self._normal({name: Term(versions, False), dep: Term(self._full(dep) & ~allowed, True)})
                if terms is None:
                    continue
                known = self.facts[key] = self._add(Incompatibility(terms, ("dependency", name, index, dep,
                                                                             requirement)))
            added.append(known)
        return added

    def _normal(self, terms: dict[str, Term]) -> dict[str, Term] | None:
        """Drop terms every state satisfies; None when a term allows nothing (the incompatibility never holds)."""
        out = {}
        for name, term in terms.items():
            full = self._full(name)
            if term.mask == full and term.absent:
                continue
            if not term.mask and not term.absent:
                return None
            out[name] = term
        return out

    def _add(self, incompatibility: Incompatibility) -> Incompatibility:
        for name in incompatibility.terms:
            self.incompatibilities.setdefault(name, []).append(incompatibility)
        return incompatibility

    # -- partial solution ---------------------------------------------------------------------------
    def _assign(self, name: str, term: Term, cause: Incompatibility | None) -> None:
        assignment = _Assignment(name, term, self.level, cause, len(self.assignments))
        self.assignments.append(assignment)
        self.by_name.setdefault(name, []).append(assignment)
        before = self.state.get(name)
        now = term if before is None else before & term
        self.state[name] = now
        if not now.absent and name not in self.decided and name not in self.queued:
            self.queued.add(name)
            self.order += 1
            # Fewest candidates first (a pinned path or git package has one), then in the order met.
            heapq.heappush(self.queue, (now.mask.bit_count(), self.order, name))

    def _relation(self, name: str, term: Term) -> int:
        """1: the partial solution satisfies term; -1: contradicts it; 0: neither."""
        state = self.state.get(name)
        if state is None:
            return 0  # nothing known: a normal term is never "any" or "nothing"
        if state.within(term):
            return 1
        if state.disjoint(term):
            return -1
        return 0

    def _backtrack(self, level: int) -> None:
        while self.assignments and self.assignments[-1].level > level:
            gone = self.assignments.pop()
            mine = self.by_name[gone.name]
            mine.pop()
            if gone.cause is None:
                del self.decided[gone.name]
            if mine:
                state = mine[0].term
                for a in mine[1:]:
                    state = state & a.term
                self.state[gone.name] = state
            else:
                del self.by_name[gone.name]
                del self.state[gone.name]
        self.level = level
        # What must be selected may have changed: rebuild the queue from the remaining state.
        self.queue.clear()
        self.queued.clear()
        for name, state in self.state.items():
            if not state.absent and name not in self.decided:
                self.queued.add(name)
                self.order += 1
                heapq.heappush(self.queue, (state.mask.bit_count(), self.order, name))

    def _satisfier(self, name: str, term: Term) -> _Assignment:
        """The earliest assignment after which the partial solution satisfies `term`."""
        state = None
        for assignment in self.by_name[name]:
            state = assignment.term if state is None else state & assignment.term
            if state.within(term):
                return assignment
        raise AssertionError(f"{name}: term not satisfied")

    # -- propagation -------------------------------------------------------------------------------
    def _propagate(self, package: str) -> None:
        changed = [package]
        while changed:
            name = changed.pop()
            for incompatibility in reversed(self.incompatibilities.get(name, ())):
                found = self._check(incompatibility)
                if found is None:
                    continue
                if found == "conflict":
                    root_cause = self._resolve(incompatibility)
                    changed.clear()
                    derived = self._check(root_cause)
                    if derived is None or derived == "conflict":
                        raise AssertionError("a learned incompatibility must be almost satisfied")
                    self._derive(derived, root_cause)
                    changed.append(derived)
                    break
                self._derive(found, incompatibility)
                changed.append(found)

    def _check(self, incompatibility: Incompatibility):
        """"conflict" when every term holds, the name of the one undecided term when all others hold,
        None otherwise. (The relation of `_relation`, written out: this is the solver's innermost loop.)"""
        known = incompatibility.contradicted
        if known is not None and known.index < len(self.assignments) and self.assignments[known.index] is known:
            return None
        open_name = None
        states = self.state
        for name, term in incompatibility.terms.items():
            state = states.get(name)
            if state is not None:
                if not state.mask & ~term.mask and (term.absent or not state.absent):
                    continue  # satisfied
                if not state.mask & term.mask and not (state.absent and term.absent):
                    incompatibility.contradicted = self.by_name[name][-1]
                    return None  # contradicted
            if open_name is not None:
                return None
            open_name = name
        return "conflict" if open_name is None else open_name

    def _derive(self, name: str, incompatibility: Incompatibility) -> None:
        self._assign(name, incompatibility.terms[name].inverse(self._full(name)), incompatibility)

    def _resolve(self, incompatibility: Incompatibility) -> Incompatibility:
        """Conflict resolution: learn the incompatibility that explains the conflict, and backtrack."""
        learned = False
        while True:
            terms = incompatibility.terms
            if not terms or (len(terms) == 1 and ROOT in terms and not terms[ROOT].absent):
                raise NoSolution(incompatibility)
            recent_name, recent = None, None
            difference = None
            previous_level = 0
            for name, term in terms.items():
                satisfier = self._satisfier(name, term)
                if recent is None or recent.index < satisfier.index:
                    if recent is not None:
                        previous_level = max(previous_level, recent.level)
                    recent_name, recent, difference = name, satisfier, None
                else:
                    previous_level = max(previous_level, satisfier.level)
                if recent_name == name:
                    # The satisfier may allow more than the term: what it adds must be explained too.
                    rest = recent.term & term.inverse(self._full(name))
                    difference = rest if rest.mask or rest.absent else None
                    if difference is not None:
                        inverse = difference.inverse(self._full(name))
                        previous_level = max(previous_level, self._satisfier(name, inverse).level)
            if previous_level < recent.level or recent.cause is None:
                self._backtrack(previous_level)
                if learned:
                    self._add(incompatibility)
                return incompatibility
            merged: dict[str, Term] = {}
            for name, term in terms.items():
                if name != recent_name:
                    merged[name] = term
            for name, term in recent.cause.terms.items():
                if name != recent_name:
                    merged[name] = merged[name] & term if name in merged else term
            if difference is not None:
                inverse = difference.inverse(self._full(recent_name))
                merged[recent_name] = merged[recent_name] & inverse if recent_name in merged else inverse
            normal = self._normal(merged)
            if normal is None:
                raise AssertionError("a learned incompatibility cannot be empty of meaning")
            incompatibility = Incompatibility(normal, ("derived", incompatibility, recent.cause))
            learned = True

    # -- decisions ---------------------------------------------------------------------------------
    def _decide(self) -> str | None:
        while self.queue:
            _, _, name = heapq.heappop(self.queue)
            self.queued.discard(name)
            state = self.state.get(name)
            if name in self.decided or state is None or state.absent:
                continue
            index = (state.mask & -state.mask).bit_length() - 1  # the best allowed candidate
            added = self.chosen_before.get((name, index))
            if added is None:  # a version decided again after a backjump asks the provider nothing
                added = self.chosen_before[name, index] = self._add_dependencies(
                    name, index, self.provider.dependencies(name, index))
            # A dependency that already contradicts the partial solution: let propagation rule this version out.
            conflict = any(all(n == name or self._relation(n, t) > 0 for n, t in inc.terms.items()) for inc in added)
            if not conflict:
                self.level += 1
                self._assign(name, Term(1 << index, False), None)
                self.decided[name] = index
            else:
                self.queued.add(name)
                heapq.heappush(self.queue, (0, -1, name))
            return name
        return None
