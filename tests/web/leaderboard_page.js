// Loads the tournament leaderboard page from a running `tplr tournament serve`
// in headless Chromium (playwright-core, the system's chromium), waits until
// its script has rendered the rows, checks them against the API's own answer,
// opens a submission's runs, and saves a screenshot.
// usage: node leaderboard_page.js URL SCREENSHOT.png CHROMIUM_PATH
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "node_modules", "playwright-core"));

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  console.log("ok   page: " + what);
}

(async () => {
  const [url, shot, exe] = process.argv.slice(2);
  const board = await (await fetch(url + "/leaderboard?limit=100")).json();
  const browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    const errors = [];
    page.on("pageerror", e => errors.push(e.message));
    await page.goto(url + "/", { waitUntil: "load" });
    await page.waitForFunction(n => document.querySelectorAll("tr.entry").length >= n, board.entries.length,
                               { timeout: 15000 });
    const rows = await page.$$eval("tr.entry", trs => trs.map(tr => ({
      id: Number(tr.dataset.id), cells: [...tr.children].map(td => td.textContent), winner: tr.classList.contains("winner")
    })));
    check(rows.length === board.entries.length, rows.length + " rows, as many as the API's entries");
    board.entries.forEach((e, i) => {
      const r = rows[i];
      check(r.id === e.submission_id, "row " + i + " is submission " + e.submission_id);
      check(r.cells[0] === (e.rank === null ? "–" : String(e.rank)), "row " + i + " rank " + r.cells[0]);
      check(r.cells[4] === (e.score === null ? "–" : e.score.toFixed(1)), "row " + i + " tokens/s " + r.cells[4]);
      check(r.cells[5].startsWith(e.status), "row " + i + " status " + r.cells[5]);
      check(r.winner === e.is_winner, "row " + i + (e.is_winner ? " is" : " is not") + " marked the winner");
    });
    const meta = await page.textContent("#meta");
    check(board.winner === null ? meta.includes("winner none") : meta.includes("winner #" + board.winner),
          "the header names the winner: " + meta);
    // the runs of the first submission
    await page.click("tr.entry");
    await page.waitForSelector("#runs tr.run", { timeout: 10000 });
    const first = board.entries[0];
    const runs = await page.$$eval("#runs tr.run", trs => trs.map(tr => [...tr.children].map(td => td.textContent)));
    check(runs.length === first.num_evaluations, runs.length + " runs shown for submission " + first.submission_id);
    check(runs.every(r => r[1] === first.verdict || first.status !== "finished"), "each run shows its verdict");
    check(errors.length === 0, "no script errors" + (errors.length ? ": " + errors.join("; ") : ""));
    await page.screenshot({ path: shot, fullPage: true });
    console.log("ok   page: screenshot " + shot);
  } finally {
    await browser.close();
  }
})().catch(e => { console.error("FAIL " + e.message); process.exit(1); });
