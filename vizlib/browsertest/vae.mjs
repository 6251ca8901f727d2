// Browser check of the in-browser VAE views (vizlib/assets/vae.js), run by vizlib's Go test
// TestBrowserVAEViews or by hand:
//
//   node vizlib/browsertest/vae.mjs SHOTDIR FILE.html
//
// Opens FILE in Debian's Chromium (or $EMBVIZ_CHROMIUM) through playwright-core, every non-file
// request aborted. With scripts off (an untrusted notebook) every view must show its poster
// image; with scripts on, every view must mount, hide its poster, draw its canvas, and moving a
// slider must change the decoded image. Prints one JSON object; exits 1 if a check failed.
import { chromium } from "playwright-core";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [shotDir, file] = process.argv.slice(2);
if (!file) { console.error("usage: vae.mjs SHOTDIR FILE.html"); process.exit(2); }
const browser = await chromium.launch({
  executablePath: process.env.EMBVIZ_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic"],
});
const res = { file, failures: [], errors: [], views: [], postersWithoutScripts: 0 };
const fail = (m) => res.failures.push(m);
const url = pathToFileURL(path.resolve(file)).href;
const base = path.join(shotDir, path.basename(file, ".html"));
async function open(js) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: js });
  await ctx.route("**", (r) => {
    const u = r.request().url();
    return u.startsWith("file:") || u.startsWith("data:") || u.startsWith("blob:") ? r.continue() : r.abort();
  });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") res.errors.push("console: " + m.text()); });
  page.on("pageerror", (e) => res.errors.push("pageerror: " + e.message));
  await page.goto(url);
  return { ctx, page };
}
try {
  // Scripts off: the posters are what shows.
  {
    const { ctx, page } = await open(false);
    // A view shows a poster when its poster has at least one loaded, visible image.
    res.postersWithoutScripts = await page.$$eval(".evz-vae", (vs) => vs.filter((v) =>
      [...v.querySelectorAll(".evz-vae-poster img")].some((im) => im.complete && im.naturalWidth > 0 && im.getBoundingClientRect().width > 0)).length);
    const views = await page.$$eval(".evz-vae", (vs) => vs.length);
    if (!views) fail("no VAE views in the page");
    if (res.postersWithoutScripts < views) fail(`without scripts ${res.postersWithoutScripts} of ${views} views show a poster image`);
    if (shotDir) await page.screenshot({ path: base + "-noscript.png", fullPage: true });
    await ctx.close();
  }
  // Scripts on: live views.
  {
    const { ctx, page } = await open(true);
    await page.waitForFunction(() => [...document.querySelectorAll(".evz-vae")].every((v) => v.dataset.mounted), null, { timeout: 15000 })
      .catch(() => fail("not every view mounted"));
    await page.waitForTimeout(300);
    const n = await page.$$eval(".evz-vae", (vs) => vs.length);
    for (let i = 0; i < n; i++) {
      const v = { index: i };
      const probe = (i) => page.evaluate((i) => {
        const root = document.querySelectorAll(".evz-vae")[i];
        const cv = root.querySelector("canvas");
        const poster = root.querySelector(".evz-vae-poster");
        if (!cv) return { canvas: false };
        const d = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
        let sum = 0, lit = 0;
        for (let k = 0; k < d.length; k += 4) { sum += d[k] * (k % 97 + 1); if (d[k] > 20) lit++; }
        return { canvas: true, hash: sum, lit, posterHidden: !poster || poster.style.display === "none", sliders: root.querySelectorAll("input[type=range]").length };
      }, i);
      const before = await probe(i);
      Object.assign(v, before);
      if (!before.canvas) { fail(`view ${i}: no canvas`); res.views.push(v); continue; }
      if (!before.posterHidden) fail(`view ${i}: the poster is still shown`);
      if (!before.lit) fail(`view ${i}: the canvas is blank`);
      if (!before.sliders) fail(`view ${i}: no sliders`);
      // Move each slider to an end until the image changes.
      let changed = false;
      for (let s = 0; s < before.sliders && !changed; s++) {
        for (const end of ["max", "min"]) {
          await page.evaluate(([i, s, end]) => {
            const r = document.querySelectorAll(".evz-vae")[i].querySelectorAll("input[type=range]")[s];
            r.value = r[end];
            r.dispatchEvent(new Event("input"));
          }, [i, s, end]);
          await page.waitForTimeout(250);
          const after = await probe(i);
          if (after.hash !== before.hash) { changed = true; v.changedBySlider = s; break; }
        }
      }
      v.changed = changed;
      if (!changed) fail(`view ${i}: moving the sliders does not change the decoded image`);
      res.views.push(v);
    }
    if (shotDir) await page.screenshot({ path: base + "-live.png", fullPage: true });
    await ctx.close();
  }
} finally {
  await browser.close();
}
if (res.errors.length) fail("errors: " + res.errors.join("; "));
console.log(JSON.stringify(res));
process.exit(res.failures.length ? 1 : 0);
