"""Independent, slow, plain-Python reference computations the fast models are checked against."""

import itertools
import random
from collections import defaultdict
from math import factorial


def chain(paths, order):
    """Transition probabilities of an order-k chain, counted path by path with dicts."""
    counts = defaultdict(lambda: defaultdict(float))
    for channels, conv, null in paths:
        collapsed = [c for i, c in enumerate(channels) if i == 0 or c != channels[i - 1]]
        if len(collapsed) < order:
            states = [tuple(collapsed)]
        else:
            states = [tuple(collapsed[i:i + order]) for i in range(len(collapsed) - order + 1)]
        states = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
        weight = conv + null
        if weight == 0:
            continue
        counts["start"][states[0]] += weight
        for a, b in zip(states, states[1:]):
            counts[a][b] += weight
        counts[states[-1]]["conv"] += conv
        counts[states[-1]]["null"] += null
    return {s: {t: n / sum(row.values()) for t, n in row.items() if n > 0} for s, row in counts.items()}


def p_conversion(probs, removed=None, sweeps=20000):
    """P(start → conv) by repeated substitution (value iteration), with states containing `removed` sent to null."""
    value = defaultdict(float)
    for _ in range(sweeps):
        change = 0.0
        for state, row in probs.items():
            total = 0.0
            for target, p in row.items():
                if target == "conv":
                    total += p
                elif target != "null" and not (removed is not None and removed in target):
                    total += p * value[target]
            change = max(change, abs(total - value[state]))
            value[state] = total
        if change < 1e-15:
            break
    return value["start"]


def walk_visits(probs, channels, walks, seed=1):
    """Monte-Carlo: among converting walks, the share that visit each channel."""
    rng = random.Random(seed)
    tables = {s: (list(row), list(itertools.accumulate(row.values()))) for s, row in probs.items()}
    converted, visits = 0, defaultdict(int)
    for _ in range(walks):
        state, seen = "start", set()
        while state not in ("conv", "null"):
            targets, cumulative = tables[state]
            draw = rng.random() * cumulative[-1]
            state = next(t for t, c in zip(targets, cumulative) if draw <= c)
            if state not in ("conv", "null"):
                seen.update(state)
        if state == "conv":
            converted += 1
            for c in seen:
                visits[c] += 1
    return {c: visits[c] / converted for c in channels}


def shapley_by_permutations(players, v):
    """Average marginal contribution over every ordering of the players."""
    totals = defaultdict(float)
    orders = list(itertools.permutations(players))
    for ordering in orders:
        coalition = frozenset()
        for p in ordering:
            totals[p] += v(coalition | {p}) - v(coalition)
            coalition = coalition | {p}
    return {p: totals[p] / factorial(len(players)) for p in players}
