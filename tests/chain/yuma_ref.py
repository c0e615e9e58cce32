#!/usr/bin/env python3
"""Independent reference for tplr's Yuma-style emissions (docs/ledger.md,
"Emissions"), written from the documented steps, in plain Python doubles with
every loop in the order the documentation gives, so that the C code (built
with -ffp-contract=off) must agree bit for bit.

Writes yuma_golden.json: each case gives the inputs of one or more epochs and
the outputs after each (consensus, rank, trust, incentive, dividends, bonds,
emission). tests/test_yuma.c replays them. The first case is the example
worked by hand in yuma_examples.md. Standard library only."""
import json
import math
import os
import random

EPS = 1e-12  # slack when comparing a stake sum to kappa


def permits(stake, max_validators, min_stake):
    order = sorted(range(len(stake)), key=lambda i: (-stake[i], i))
    out = [0] * len(stake)
    for i in order[:max_validators]:
        if stake[i] > 0 and stake[i] >= min_stake:
            out[i] = 1
    return out


def normalized(v):
    total = 0.0
    for x in v:
        total += x
    return [x / total for x in v] if total > 0 else list(v)


def consensus(col, s, kappa):
    """Largest weight that validators with at least kappa of the stake gave or exceeded."""
    vals = sorted((col[i] for i in range(len(s)) if s[i] > 0), reverse=True)
    for a, v in enumerate(vals):
        if a + 1 < len(vals) and vals[a + 1] == v:
            continue
        support = 0.0
        for i in range(len(s)):
            if s[i] > 0 and col[i] >= v:
                support += s[i]
        if support >= kappa - EPS:
            return v
    return 0.0


def epoch(p, weights, bonds_prev):
    n = len(p["stake"])
    # 1-2: active, permitted validators' stake, normalized
    s = []
    for i in range(n):
        lu = p["last_update"][i]
        active = p["block"] - lu <= p["activity_cutoff"] or lu > p["block"]
        s.append(float(p["stake"][i]) if p["permit"][i] and active else 0.0)
    s = normalized(s)
    # 3: masked weights, rows normalized
    W = []
    for i in range(n):
        row = [0.0] * n
        if p["permit"][i]:
            for j in range(n):
                if i != j and p["last_update"][i] >= p["registered_at"][j]:
                    row[j] = float(weights[i][j])
        W.append(normalized(row))
    # 4-7: consensus, clipped weights, rank, trust, incentive
    C, R, T, dB = [0.0] * n, [0.0] * n, [0.0] * n, [[0.0] * n for _ in range(n)]
    for j in range(n):
        c = consensus([W[i][j] for i in range(n)], s, p["kappa"])
        rank, pre = 0.0, 0.0
        for i in range(n):
            w = W[i][j]
            clipped = w if w < c else c
            rank += s[i] * clipped
            pre += s[i] * w
            dB[i][j] = s[i] * clipped
        C[j], R[j], T[j] = c, rank, (rank / pre if pre > 0 else 0.0)
    I = normalized(R)
    # 8: bonds: EMA of column-normalized clipped stake-weights, column-normalized
    for j in range(n):
        col = normalized([dB[i][j] for i in range(n)])
        for i in range(n):
            dB[i][j] = col[i]
    alpha = p["alpha"]
    B = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            prev = bonds_prev[i][j] if p["permit"][i] else 0.0
            B[i][j] = alpha * dB[i][j] + (1 - alpha) * prev
    for j in range(n):
        col = normalized([B[i][j] for i in range(n)])
        for i in range(n):
            B[i][j] = col[i]
    # 9: dividends
    D = []
    for i in range(n):
        d = 0.0
        for j in range(n):
            d += B[i][j] * I[j]
        D.append(d)
    D = normalized(D)
    return {"consensus": C, "rank": R, "trust": T, "incentive": I, "dividends": D, "bonds": B}


def emission(total, incentive, dividends):
    miners, validators = total // 2, total - total // 2
    si = sum(incentive)
    sd = sum(dividends)
    out = []
    for i in range(len(incentive)):
        e = 0
        if si > 0:
            e += math.floor(float(miners) * incentive[i])
        if sd > 0:
            e += math.floor(float(validators) * dividends[i])
        out.append(e)
    return out


def dense(n, rows):
    """{validator: {uid: weight}} -> n x n list."""
    W = [[0] * n for _ in range(n)]
    for i, row in rows.items():
        for j, w in row.items():
            W[int(i)][int(j)] = w
    return W


def run_case(case):
    n = len(case["stake"])
    bonds = [[0.0] * n for _ in range(n)]
    case["permit"] = permits(case["stake"], case["max_validators"], case["min_stake"])
    for ep in case["epochs"]:
        p = dict(case, block=ep["block"], last_update=ep["last_update"])
        out = epoch(p, dense(n, ep["weights"]), bonds)
        out["emission"] = emission(case["total"], out["incentive"], out["dividends"])
        ep["expect"] = out
        bonds = out["bonds"]
    return case


def base(name, stake, **kw):
    n = len(stake)
    case = {"name": name, "stake": stake, "max_validators": 64, "min_stake": 1, "kappa": 0.5, "alpha": 0.1,
            "activity_cutoff": 5000, "registered_at": [0] * n, "total": 1001}
    case.update(kw)
    return case


def cases():
    out = []
    # worked by hand in yuma_examples.md
    out.append(base("hand", [300, 100, 0, 0], epochs=[
        {"block": 100, "last_update": [50, 60, 0, 0], "weights": {0: {2: 3, 3: 1}, 1: {2: 1, 3: 1}}}]))
    # the same subnet for three epochs: validator 1 first agrees, then moves to uid 3 alone; bonds follow slowly
    out.append(base("bonds_ema", [300, 100, 0, 0], epochs=[
        {"block": 100, "last_update": [50, 60, 0, 0], "weights": {0: {2: 3, 3: 1}, 1: {2: 1, 3: 1}}},
        {"block": 200, "last_update": [150, 160, 0, 0], "weights": {0: {2: 3, 3: 1}, 1: {3: 65535}}},
        {"block": 300, "last_update": [250, 260, 0, 0], "weights": {0: {2: 1, 3: 3}, 1: {3: 65535}}}]))
    # masks: uid 0 weights itself (dropped); uid 1 is past the activity cutoff; uid 3's weight on uid 5
    # predates uid 5's registration (dropped); uid 4 is below min_stake, so has no permit (ignored)
    out.append(base("masks", [500, 400, 300, 200, 150, 0], max_validators=4, min_stake=160, activity_cutoff=200,
                    registered_at=[0, 0, 0, 0, 0, 900], total=100000, epochs=[
        {"block": 1000, "last_update": [990, 700, 995, 850, 0, 900],
         "weights": {0: {0: 9000, 4: 30000, 5: 10000}, 1: {4: 65535}, 2: {4: 100, 5: 200},
                     3: {4: 1000, 5: 65535}, 4: {5: 65535}}}]))
    # a cartel of low stake against an honest majority: clipped to the consensus
    out.append(base("clipping", [700, 200, 100, 0, 0, 0], total=600000, epochs=[
        {"block": 10, "last_update": [5, 5, 5, 0, 0, 0],
         "weights": {0: {3: 100, 4: 100, 5: 100}, 1: {5: 65535}, 2: {5: 65535}}}]))
    # ties at exactly half the stake
    out.append(base("ties", [100, 100, 0, 0], total=77777, epochs=[
        {"block": 10, "last_update": [1, 1, 0, 0], "weights": {0: {2: 1}, 1: {3: 1}}}]))
    # random subnet, two epochs
    rng = random.Random(20240506)
    n = 12
    stake = [rng.choice([0, 0, rng.randrange(1, 10**6)]) for _ in range(n)]
    stake[0] = 5 * 10**6

    def random_weights():
        return {i: {j: rng.randrange(0, 65536) for j in range(n) if rng.random() < 0.6} for i in range(n)
                if stake[i] > 0}
    out.append(base("random", stake, max_validators=4, registered_at=[rng.randrange(0, 50) for _ in range(n)],
                    total=360 * 10**9, epochs=[
        {"block": 360, "last_update": [rng.randrange(0, 360) for _ in range(n)], "weights": random_weights()},
        {"block": 720, "last_update": [rng.randrange(300, 720) for _ in range(n)], "weights": random_weights()}]))
    return [run_case(c) for c in out]


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "yuma_golden.json"), "w") as f:
        json.dump(cases(), f, indent=1)
        f.write("\n")
    for c in cases():
        last = c["epochs"][-1]["expect"]
        print(c["name"], "incentive", [round(x, 6) for x in last["incentive"]],
              "dividends", [round(x, 6) for x in last["dividends"]], "emission", last["emission"])
