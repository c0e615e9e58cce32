#!/usr/bin/env node
// Golden OpenSkill games from the npm openskill package (pinned by
// package-lock.json beside this file): random multi-window scenarios, each
// window a game of one-player teams ranked by score (rate(teams, {score})),
// the ratings carried from window to window as the validator carries them.
//   node openskill_golden.js OUTPUT.json
// Deterministic: the scenarios come from a fixed-seed generator, so the
// committed openskill_golden.json is what this prints with openskill 5.0.1.
"use strict";
const fs = require("fs");
const path = require("path");
let os;
try {
  os = require(path.join(__dirname, "node_modules", "openskill"));
} catch (e) {
  console.error(`openskill is not installed in ${__dirname}/node_modules: run tests/scoring/setup_openskill.sh (${e.message})`);
  process.exit(2);
}
const out = process.argv[2];
if (!out) {
  console.error("usage: node openskill_golden.js OUTPUT.json");
  process.exit(2);
}

// mulberry32: a small fixed generator (only the scenarios depend on it)
let state = 0x7e3f1a5d;
function rnd() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randint = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));

const paramSets = [
  { name: "templar", beta: 7, tau: 0.1 },
  { name: "npm_defaults" },
];
const scenarios = [];
for (let sc = 0; sc < 24; sc++) {
  const params = paramSets[sc % paramSets.length];
  const opts = {};
  if (params.beta !== undefined) opts.beta = params.beta;
  if (params.tau !== undefined) opts.tau = params.tau;
  const nPlayers = randint(2, 30);
  const ratings = Array.from({ length: nPlayers }, () => os.rating());
  const windows = [];
  const nWindows = randint(1, 12);
  for (let w = 0; w < nWindows; w++) {
    const n = randint(1, Math.min(nPlayers, 20));
    // a random subset, in random order
    const ids = Array.from({ length: nPlayers }, (_, i) => i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = randint(0, i);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const players = ids.slice(0, n);
    const coarse = rnd() < 0.3; // coarse scores make ties
    const scores = players.map(() => {
      if (rnd() < 0.1) return -99;
      return coarse ? randint(-2, 3) / 100 : (rnd() - 0.3) * 0.2;
    });
    const teams = players.map((p) => [ratings[p]]);
    const rated = os.rate(teams, Object.assign({ score: scores }, opts));
    players.forEach((p, i) => { ratings[p] = rated[i][0]; });
    windows.push({
      players,
      scores,
      mu: players.map((p) => ratings[p].mu),
      sigma: players.map((p) => ratings[p].sigma),
      ordinal: players.map((p) => os.ordinal(ratings[p])),
    });
  }
  scenarios.push({ params: params.name, beta: params.beta ?? 25 / 6, tau: params.tau ?? 25 / 300,
                   players: nPlayers, windows });
}
const doc = { generator: "tests/scoring/openskill_golden.js", openskill: require(path.join(__dirname, "node_modules", "openskill", "package.json")).version, scenarios };
fs.writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
