// Browser checks for vizlib pages, run by vizlib's Go tests (browser_test.go) or by hand:
//
//   node vizlib/browsertest/check.mjs [-bench SECONDS] [-shot DIR] [-foreign] FILE.html...
//
// Opens each file in Debian's Chromium (/usr/bin/chromium, or $EMBVIZ_CHROMIUM) through
// playwright-core with every non-file network request aborted, and checks: no console errors or
// page errors; every fragment mounted; canvases are drawn; Play changes the canvas and the button
// becomes Pause; space toggles playback; the slider reaches the last frame (caption and the
// confusion-matrix panel follow); hovering a point shows a tooltip; legend clicks hide classes;
// charts draw lines and show hover values; heatmap sliders change the matrix. With -bench, plays
// every player at "max" speed for SECONDS and reports the frame times measured inside the player.
// Prints one JSON object per file on stdout; exits 1 if any check failed.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
let bench = 0, benchSelect = 0, shotDir = "", files = [], foreign = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "-bench") bench = +args[++i];
  else if (args[i] === "-bench-select") benchSelect = +args[++i]; // also benchmark with this many points selected, trails on
  else if (args[i] === "-foreign") foreign = true; // pages made by others (nbconvert exports): their blocked CDN loads are listed, not failed
  else if (args[i] === "-shot") shotDir = args[++i];
  else files.push(args[i]);
}
if (!files.length) { console.error("usage: check.mjs [-bench S] [-shot DIR] FILE.html..."); process.exit(2); }

// playwright's launch() gives Chromium a fresh temporary --user-data-dir of its own (and rejects
// one passed in args); it is removed when the browser closes.
const browser = await chromium.launch({
  executablePath: process.env.EMBVIZ_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic"],
});
let failed = false;
try {
  for (const file of files) {
    const res = await checkFile(file);
    if (res.failures.length) failed = true;
    console.log(JSON.stringify(res));
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

async function checkFile(file) {
  const res = { file, failures: [], errors: [], blocked: [], players: [], charts: 0, heatmaps: 0, bench: null };
  const fail = (m) => res.failures.push(m);
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: false });
  await ctx.route("**", (route) => {
    const u = route.request().url();
    if (u.startsWith("file:") || u.startsWith("data:") || u.startsWith("blob:")) return route.continue();
    res.blocked.push(u);
    return route.abort();
  });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") res.errors.push("console: " + m.text()); });
  page.on("pageerror", (e) => res.errors.push("pageerror: " + e.message));
  try {
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
    await page.waitForFunction(() => document.querySelectorAll(".evz[id]").length > 0 &&
      [...document.querySelectorAll(".evz[id]")].every((e) => e.getAttribute("data-mounted") === "1"), null, { timeout: 20000 });
    const boxes = await page.locator(".evz-error").allTextContents();
    for (const b of boxes) fail("error box shown: " + b);

    // Charts: lines drawn, hover shows values, legend toggles.
    const charts = page.locator(".evz-chart:has(svg path)");
    res.charts = await charts.count();
    for (let i = 0; i < Math.min(res.charts, 3); i++) {
      const c = charts.nth(i), svg = c.locator("svg").first();
      await svg.scrollIntoViewIfNeeded();
      const box = await svg.boundingBox();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
      const tipShown = await c.locator(".evz-tip").evaluate((e) => e.style.display === "block" && e.textContent.length > 0);
      if (!tipShown) fail(`chart ${i}: hover shows no tooltip`);
      const before = await svg.locator("path").count();
      const leg = c.locator(".evz-legend span");
      if (await leg.count() > 1) {
        await leg.first().click();
        const after = await svg.locator("path").count();
        if (after >= before) fail(`chart ${i}: legend click did not hide a series (${before} -> ${after} paths)`);
        await leg.first().click();
      }
      await page.mouse.move(0, 0);
    }
    // Heatmaps with a slider: moving it changes the drawn values.
    const heat = page.locator(".evz-chart:has(input[aria-label=Snapshot])");
    res.heatmaps = await heat.count();
    for (let i = 0; i < Math.min(res.heatmaps, 2); i++) {
      const h = heat.nth(i), s = h.locator("input[aria-label=Snapshot]");
      const txt = async () => (await h.locator("svg").textContent());
      await setRange(s, 0); const a = await txt();
      const max = +(await s.getAttribute("max")); await setRange(s, max); const b = await txt();
      if (a === b) fail(`heatmap ${i}: slider did not change the matrix`);
    }

    // Players.
    const roots = await page.locator(".evz[id]:has(canvas[data-panel])").evaluateAll((es) => es.map((e) => e.id));
    for (const [i, id] of roots.entries()) {
      const r = await checkPlayer(page, id, fail);
      if (await page.locator(`#${id} [role=toolbar][aria-label=Selection]`).count() && !r.static) {
        r.linked = await checkLinked(page, id, (m) => fail(`player ${id}: ${m}`), shotDir ? path.join(shotDir, path.basename(file, ".html") + "-p" + i) : "");
        if (r.linked.ok) r.checks.push("linked selection");
      }
      res.players.push(r);
    }
    if (bench > 0) res.bench = await runBench(page, roots, bench, 0);
    if (bench > 0 && benchSelect > 0) res.bench = res.bench.concat(await runBench(page, roots, bench, benchSelect));
    if (shotDir) {
      fs.mkdirSync(shotDir, { recursive: true });
      await page.screenshot({ path: path.join(shotDir, path.basename(file, ".html") + ".png"), fullPage: true });
      await shootOutputs(page, path.join(shotDir, path.basename(file, ".html")));
    }
  } catch (e) {
    fail("exception: " + (e && e.stack ? e.stack : e));
  }
  for (const e of res.errors) if (!(foreign && /Failed to load resource|net::ERR_FAILED/.test(e))) fail(e);
  if (!foreign) for (const u of res.blocked) fail("network request attempted: " + u);
  await ctx.close();
  return res;
}

// shootOutputs saves a screenshot of every top-level fragment (.evz-frag: each notebook output) as
// DIR/NN-title.png, NN its order on the page and title its first title's text, so that each view can
// be looked at on its own.
async function shootOutputs(page, dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const frags = page.locator(".evz-frag:not(.evz-frag .evz-frag)");
  const n = await frags.count();
  for (let i = 0; i < n; i++) {
    const f = frags.nth(i);
    const title = (await f.locator(".evz-title, .evz-ptitle").first().textContent({ timeout: 500 }).catch(() => "")) ||
      (await f.innerText({ timeout: 500 }).catch(() => "")).trim().split("\n")[0] || "output";
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "output";
    await f.scrollIntoViewIfNeeded();
    await f.screenshot({ path: path.join(dir, String(i).padStart(2, "0") + "-" + slug + ".png") }).catch(() => {});
  }
}

async function setRange(loc, v) {
  await loc.evaluate((e, v) => { e.value = String(v); e.dispatchEvent(new Event("input", { bubbles: true })); }, v);
}

async function canvasSig(page, sel) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel), d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let h = 0, ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) { ink++; h = (h * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2] + i) >>> 0; }
    }
    return { ink, h };
  }, sel);
}

async function checkPlayer(page, id, fail0) {
  const r = { id, panels: 0, checks: [] };
  const fail = (m) => fail0(`player ${id}: ${m}`);
  const root = page.locator("#" + id);
  r.panels = await root.locator("canvas[data-panel]").count();
  for (let p = 0; p < r.panels; p++) {
    const s = await canvasSig(page, `#${id} canvas[data-panel="${p}"]`);
    if (s.ink < 10) fail(`panel ${p} canvas is blank`);
  }
  r.checks.push("canvases drawn");
  const play = root.getByRole("button", { name: "Play", exact: true });
  if (await play.count() === 0) { r.static = true; await checkHover(page, id, fail, r); return r; }
  const slider = root.locator("input[aria-label=Frame]");
  const max = +(await slider.getAttribute("max"));
  await setRange(slider, 0);
  const sel0 = `#${id} canvas[data-panel="0"]`;
  const before = await canvasSig(page, sel0);
  await play.click();
  let frameAfterPlay = 0; // the highest frame seen while playing (a short loop may wrap to 0)
  // The canvas is sampled while playing: a short loop may be back at frame 0 when it stops.
  let changed = false;
  for (let k = 0; k < 7; k++) {
    await page.waitForTimeout(100);
    frameAfterPlay = Math.max(frameAfterPlay, +(await root.getAttribute("data-frame")));
    if (!changed && (await canvasSig(page, sel0)).h !== before.h) changed = true;
  }
  const pause = root.getByRole("button", { name: "Pause", exact: true });
  if (await pause.count() !== 1) fail("after clicking Play the button is not named Pause");
  if (!changed) fail("Play did not change the canvas");
  if (!(frameAfterPlay > 0)) fail("Play did not advance the frame");
  await pause.click();
  r.checks.push("play changes canvas");
  // Space toggles playback when the player has focus.
  await root.focus();
  await page.keyboard.press("Space");
  if (await root.getByRole("button", { name: "Pause", exact: true }).count() !== 1) fail("space did not start playback");
  await page.keyboard.press("Space");
  if (await root.getByRole("button", { name: "Play", exact: true }).count() !== 1) fail("space did not pause playback");
  r.checks.push("space toggles");
  // Slider to the first and last frame; caption and confusion panel follow.
  const conf = root.locator("canvas[data-confusion]").first();
  const hasConf = await conf.count() > 0;
  await setRange(slider, 0);
  const cap0 = await root.locator(".evz-caption").first().textContent();
  const acc0 = hasConf ? await conf.getAttribute("data-accuracy") : null;
  const confSig0 = hasConf ? await canvasSig(page, `#${id} canvas[data-confusion]`) : null;
  await setRange(slider, max);
  const frame = +(await root.getAttribute("data-frame"));
  if (frame !== max) fail(`slider set to ${max} but the player shows frame ${frame}`);
  const snaps = await page.evaluate((id) => window.embviz.players[id].snapshots, id);
  if (+(await root.getAttribute("data-snapshot")) !== snaps - 1) fail("last frame is not the last snapshot");
  const capN = await root.locator(".evz-caption").first().textContent();
  r.captions = [cap0, capN];
  if (snaps > 1 && cap0 && cap0 === capN) fail("caption did not change between first and last frame");
  r.checks.push("slider reaches last frame");
  if (hasConf) {
    const snapC = +(await conf.getAttribute("data-snapshot"));
    if (snapC !== snaps - 1) fail(`confusion panel shows snapshot ${snapC}, want ${snaps - 1}`);
    const accN = await conf.getAttribute("data-accuracy");
    const confSigN = await canvasSig(page, `#${id} canvas[data-confusion]`);
    if (confSigN.h === confSig0.h) fail("confusion panel did not change with the frame");
    r.accuracy = [acc0, accN];
    r.checks.push("confusion follows frame");
  }
  await checkHover(page, id, fail, r);
  // Legend: clicking a class removes its points.
  const leg = root.locator(".evz-legend span");
  if (await leg.count() > 1) {
    const a = await canvasSig(page, sel0);
    await leg.first().click();
    const b = await canvasSig(page, sel0);
    if (b.ink >= a.ink) fail("legend click did not hide a class");
    await leg.first().click();
    await page.mouse.move(1, 1); // leave the legend: no class stays highlighted in screenshots
    r.checks.push("legend toggles");
  }
  return r;
}

async function checkHover(page, id, fail, r) {
  // Find a drawn point of panel 0 and move the mouse onto it.
  await page.locator(`#${id} canvas[data-panel="0"]`).scrollIntoViewIfNeeded();
  const pt = await page.evaluate((id) => {
    const c = document.querySelector(`#${id} canvas[data-panel="0"]`), ctx = c.getContext("2d");
    const d = ctx.getImageData(0, 0, c.width, c.height).data, rect = c.getBoundingClientRect();
    for (let y = Math.floor(c.height / 3); y < c.height; y++) for (let x = Math.floor(c.width / 3); x < c.width; x++) {
      const i = 4 * (y * c.width + x);
      if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) return { x: rect.left + (x + 1) * rect.width / c.width, y: rect.top + (y + 1) * rect.height / c.height };
    }
    return null;
  }, id);
  if (!pt) { fail("no point to hover"); return; }
  await page.mouse.move(pt.x, pt.y);
  await page.waitForTimeout(50);
  const tip = await page.locator(`#${id} > .evz-tip`).evaluate((e) => ({ shown: e.style.display === "block", text: e.textContent, img: e.querySelectorAll("canvas").length }));
  if (!tip.shown || !tip.text.includes("#")) fail("hover shows no tooltip: " + JSON.stringify(tip));
  r.tooltip = tip.text;
  r.tooltipImage = tip.img > 0;
  r.checks.push("hover tooltip");
  await page.mouse.move(1, 1);
}

async function runBench(page, ids, seconds, selected) {
  const out = [];
  for (const id of ids) {
    const root = page.locator("#" + id);
    if (await root.getByRole("button", { name: "Play", exact: true }).count() === 0) continue;
    await root.locator("select[aria-label=Speed]").selectOption("max");
    // selected > 0: that many points spread over the data selected, trails of 8 snapshots
    await page.evaluate(([id, m]) => { const p = window.embviz.players[id], s = [];
      if (m > 0) { for (let j = 0; j < m; j++) s.push(Math.floor(j * p.points / m)); p.select(s); p.setTrail(8); } else p.clear();
      p.seek(0); p.resetStats(); p.play(); }, [id, selected]);
    await page.waitForTimeout(seconds * 1000);
    const st = await page.evaluate((id) => { const p = window.embviz.players[id]; p.pause(); return Object.assign(p.stats(), { points: p.points, snapshots: p.snapshots, selected: p.selection().length, panels: document.querySelectorAll(`#${id} canvas[data-panel]`).length }); }, id);
    st.id = id;
    out.push(st);
  }
  return out;
}

// checkLinked exercises the linked exploration of a player: box and lasso brushing, Shift adds,
// the highlight in every panel and at later frames, Escape clears, trails, confusion-cell
// selection, queries, neighbours and keyboard use. It returns what the Go test checks against
// the data (selected indices, neighbour lists); shot is a screenshot path prefix ("" for none).
async function checkLinked(page, id, fail, shot) {
  const out = { ok: true };
  const bad = (m) => { out.ok = false; fail(m); };
  const root = page.locator("#" + id);
  const api = (f, ...a) => page.evaluate(([id, f, a]) => { const p = window.embviz.players[id]; return p[f].apply(p, a); }, [id, f, a]);
  const snap = (name) => shot ? root.screenshot({ path: `${shot}-${name}.png` }) : null;
  const count = async () => +((await root.getAttribute("data-selected")) || 0);
  const panels = await root.locator("canvas[data-panel]").count();
  const sigs = async () => { const o = []; for (let p = 0; p < panels; p++) o.push((await canvasSig(page, `#${id} canvas[data-panel="${p}"]`)).h); return o; };
  const frames = await page.evaluate((id) => window.embviz.players[id].frames, id);
  await api("pause");
  await api("setTrail", 0);
  await api("seek", 0); const base0 = await sigs();
  await api("seek", frames - 1); const baseN = await sigs();
  // Box brush in panel 0 (Box is the default mode), at the last frame: with a fixed camera the
  // first frame's points may all sit in a small corner of the panel (PCA on all snapshots).
  const c0 = root.locator('canvas[data-panel="0"]');
  await c0.scrollIntoViewIfNeeded();
  const b = await c0.boundingBox();
  const drag = async (pts, shift) => {
    if (shift) await page.keyboard.down("Shift");
    await page.mouse.move(pts[0][0], pts[0][1]); await page.mouse.down();
    for (const q of pts.slice(1)) await page.mouse.move(q[0], q[1], { steps: 4 });
    await page.mouse.up();
    if (shift) await page.keyboard.up("Shift");
  };
  await drag([[b.x + b.width * 0.25, b.y + b.height * 0.25], [b.x + b.width * 0.75, b.y + b.height * 0.75]]);
  const nBox = await count();
  out.box = nBox;
  if (!(nBox > 0)) bad("box brush selected nothing");
  const cnt = await root.locator(".evz-count").textContent();
  if (!cnt.includes(String(nBox))) bad(`count shows "${cnt}", want ${nBox}`);
  const selN = await sigs();
  for (let p = 0; p < panels; p++) if (selN[p] === baseN[p]) bad(`brushing panel 0 did not change panel ${p}`);
  await api("seek", 0);
  const sel0 = await sigs();
  for (let p = 0; p < panels; p++) if (sel0[p] === base0[p]) bad(`the selection is not highlighted at the first frame in panel ${p}`);
  // Still selected while playing.
  await root.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForTimeout(300);
  await root.getByRole("button", { name: "Pause", exact: true }).click();
  if (await count() !== nBox) bad("the selection changed while playing");
  await snap("selection");
  // Trails of the selection (at the last frame, every snapshot).
  await api("seek", frames - 1);
  const noTrail = (await canvasSig(page, `#${id} canvas[data-panel="0"]`)).h;
  await root.locator("select[aria-label='Trail length']").selectOption("all");
  const trail = (await canvasSig(page, `#${id} canvas[data-panel="0"]`)).h;
  if (frames > 1 && trail === noTrail) bad("trails did not draw");
  out.trails = trail !== noTrail;
  await snap("trails");
  await root.locator("select[aria-label='Trail length']").selectOption("0");
  // Lasso with Shift adds to the selection.
  await root.getByRole("button", { name: "Lasso brush" }).click();
  if (await root.getByRole("button", { name: "Lasso brush" }).getAttribute("aria-pressed") !== "true") bad("Lasso brush is not pressed after a click");
  const cl = root.locator(`canvas[data-panel="${panels - 1}"]`), bl = await cl.boundingBox();
  await drag([[bl.x + bl.width * 0.1, bl.y + bl.height * 0.1], [bl.x + bl.width * 0.9, bl.y + bl.height * 0.15], [bl.x + bl.width * 0.5, bl.y + bl.height * 0.9], [bl.x + bl.width * 0.1, bl.y + bl.height * 0.12]], true);
  const nLasso = await count();
  out.lasso = nLasso;
  if (!(nLasso > nBox)) bad(`shift+lasso did not add to the selection (${nBox} -> ${nLasso})`);
  await root.getByRole("button", { name: "Box brush" }).click();
  // Escape clears; the canvases are back to the unselected picture.
  await root.focus();
  await page.keyboard.press("Escape");
  if (await count() !== 0) bad("Escape did not clear the selection");
  const cleared = await sigs();
  for (let p = 0; p < panels; p++) if (cleared[p] !== baseN[p]) bad(`panel ${p} differs after clearing`);
  // Confusion-matrix cell click: the first off-diagonal cell with samples, at a middle snapshot.
  const conf = root.locator("canvas[data-confusion]").first();
  if (await conf.count()) {
    await api("seek", Math.floor(frames / 2));
    await conf.scrollIntoViewIfNeeded();
    const cb = await conf.boundingBox();
    const C = await page.evaluate((id) => document.querySelectorAll(`#${id} .evz-legend span`).length, id) || 2;
    const dpr = await page.evaluate(() => Math.max(1, Math.min(2, window.devicePixelRatio || 1)));
    const L = Math.round((+(await conf.getAttribute("data-margin")) || 34) * dpr) / dpr, cs = (cb.width - L - 4) / C;
    for (let r = 0; r < C && !out.cell; r++) for (let c = 0; c < C && !out.cell; c++) {
      if (r === c) continue;
      await page.mouse.click(cb.x + L + (c + 0.5) * cs, cb.y + L + (r + 0.5) * cs);
      if (await count() > 0) out.cell = { cell: await root.getAttribute("data-cell"), indices: await api("selection") };
    }
    if (!out.cell) bad("no confusion-matrix cell click selected samples");
    else {
      await api("seek", frames - 1);
      if (JSON.stringify(await api("selection")) !== JSON.stringify(out.cell.indices)) bad("the confusion-cell selection did not stay when the frame moved");
      await snap("confusion-cell");
    }
    // Keyboard: arrows and Enter on the focused matrix select a cell; Escape clears.
    await page.keyboard.press("Escape");
    await conf.focus();
    await page.keyboard.press("ArrowDown"); await page.keyboard.press("Enter");
    out.keyboardCell = await root.getAttribute("data-cell");
    if (!out.keyboardCell) bad("Enter on the focused confusion matrix selected no cell");
    await page.keyboard.press("Escape");
    if (await count() !== 0) bad("Escape on the confusion matrix did not clear");
  }
  // Queries.
  await api("seek", frames - 1);
  const q = {};
  const cls = root.locator("select[aria-label='Select class']");
  if (await cls.count()) { await cls.selectOption("1"); q.class1 = await api("selection"); }
  const miss = root.getByRole("button", { name: "Select misclassified at this snapshot" });
  if (await miss.count()) { await miss.click(); q.misclassified = { snapshot: +(await root.getAttribute("data-snapshot")), indices: await api("selection") }; }
  const ch = root.getByRole("button", { name: "Select samples whose prediction changed between snapshots a and b" });
  if (await ch.count()) {
    await root.locator("input[aria-label='Snapshot a']").fill("1");
    await root.locator("input[aria-label='Snapshot b']").fill("2");
    await ch.click(); q.changed12 = await api("selection");
  }
  const idx = root.locator("input[aria-label='Select samples by index']");
  await idx.fill("#0-30");
  await idx.press("Enter");
  q.index0to30 = await api("selection");
  await idx.press("Escape");
  out.queries = q;
  if (q.class1 && !q.class1.length) bad("class query selected nothing");
  await snap("queries");
  // Neighbours: click a point of panel 0 (pins it).
  if (await root.locator(".evz-nbrs").count()) {
    await api("clear");
    await api("seek", frames - 1);
    const pt = await page.evaluate((id) => {
      const c = document.querySelector(`#${id} canvas[data-panel="0"]`), d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, rect = c.getBoundingClientRect();
      for (let y = Math.floor(c.height / 2); y < c.height; y++) for (let x = Math.floor(c.width / 2); x < c.width; x++) {
        const i = 4 * (y * c.width + x);
        if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) return { x: rect.left + (x + 1) * rect.width / c.width, y: rect.top + (y + 1) * rect.height / c.height };
      }
      return null;
    }, id);
    await page.mouse.click(pt.x, pt.y);
    await page.mouse.move(1, 1);
    const nb = root.locator(".evz-nbrs");
    const items = await nb.locator("[role=listitem]").evaluateAll((es) => es.map((e) => +e.getAttribute("data-point")));
    out.neighbors = { point: +(await nb.getAttribute("data-point")), snapshot: +(await nb.getAttribute("data-snapshot")), run: +(await nb.getAttribute("data-run")), list: items,
      thumbs: await nb.locator("[role=listitem] canvas").count() };
    if (!items.length) bad("clicking a point listed no neighbours");
    await snap("neighbors");
    await page.keyboard.press("Escape");
  }
  // Every control has an accessible name.
  const unnamed = await page.evaluate((id) => [...document.querySelectorAll(`#${id} button, #${id} select, #${id} input`)].filter((e) =>
    !(e.getAttribute("aria-label") || (e.labels && e.labels.length && e.labels[0].textContent.trim()) || (e.tagName === "BUTTON" && e.textContent.trim()))).map((e) => e.outerHTML.slice(0, 80)), id);
  if (unnamed.length) bad("controls without accessible names: " + unnamed.join(" | "));
  await api("clear");
  await api("setTrail", 8);
  return out;
}
