// Opens executed notebooks in a running Jupyter Notebook server, in Debian's Chromium through
// playwright-core (pinned in vizlib/browsertest), with every request outside localhost aborted,
// and reports what a person sees in each output area. Run by notebooks/share_test.go:
//
//   node notebooks/testdata/share.mjs -base http://127.0.0.1:PORT -shot DIR [-trusted] NAME.ipynb...
//
// For each notebook it prints one JSON object: whether Jupyter trusts it, the number of HTML (and
// image) output areas with content, the blank ones (fewer than 150 inked pixels in a screenshot
// of the area), how many embviz views mounted, how many posters are still shown, error boxes,
// players whose canvases are blank, and the screenshots it saved (the whole notebook, and each
// blank output).
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "vizlib", "browsertest", "package.json"));
const { chromium } = require("playwright-core");

const args = process.argv.slice(2);
let base = "", shotDir = "", trusted = false, names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "-base") base = args[++i];
  else if (args[i] === "-shot") shotDir = args[++i];
  else if (args[i] === "-trusted") trusted = true;
  else names.push(args[i]);
}
if (!base || !names.length) { console.error("usage: share.mjs -base URL [-shot DIR] [-trusted] NB.ipynb..."); process.exit(2); }
if (shotDir) fs.mkdirSync(shotDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.EMBVIZ_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic"],
});
try {
  for (const name of names) console.log(JSON.stringify(await openNotebook(name)));
} finally {
  await browser.close();
}

function local(u) {
  if (u.startsWith("data:") || u.startsWith("blob:") || u.startsWith("about:")) return true;
  try { const h = new URL(u).hostname; return h === "127.0.0.1" || h === "localhost"; } catch (e) { return false; }
}

async function openNotebook(name) {
  const mode = trusted ? "trusted" : "untrusted";
  const res = { name, mode, trusted: null, outputs: 0, blank: [], mounted: 0, views: 0, postersShown: 0, errorBoxes: [],
    blankCanvases: [], blocked: [], pageErrors: [], shots: [] };
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: false });
  await ctx.route("**", (route) => {
    const u = route.request().url();
    if (local(u)) return route.continue();
    res.blocked.push(u);
    return route.abort();
  });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => res.pageErrors.push(e.message));
  try {
    await page.goto(base + "/notebooks/" + name.split("/").map(encodeURIComponent).join("/"), { waitUntil: "load", timeout: 60000 });
    await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded, null, { timeout: 60000 });
    res.trusted = await page.evaluate(() => Jupyter.notebook.trusted);
    // Let the whole notebook lay out in the document (classic Notebook scrolls inside #site), so
    // that full-page and per-output screenshots see everything.
    await page.addStyleTag({ content: "#site{height:auto!important;overflow:visible!important}body,html{overflow:visible!important;height:auto!important}.output_scroll{max-height:none!important;height:auto!important;overflow:visible!important}" });
    if (trusted) {
      // Scripts run: wait until every embviz view has mounted (or 30 s).
      await page.waitForFunction(() => [...document.querySelectorAll(".evz[id]")].every((e) => e.getAttribute("data-mounted") === "1"), null, { timeout: 30000 }).catch(() => {});
    }
    await page.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 20000 }).catch(() => {});
    await page.waitForTimeout(500);
    Object.assign(res, await page.evaluate(() => {
      const views = [...document.querySelectorAll(".evz[id]")];
      const shown = [...document.querySelectorAll("img.evz-poster")].filter((i) => i.offsetParent !== null && getComputedStyle(i).display !== "none");
      const errs = [...document.querySelectorAll(".evz-error")].map((e) => e.textContent.slice(0, 300));
      const blankCanvases = [];
      for (const c of document.querySelectorAll(".evz canvas[data-panel]")) {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) ink++;
        if (ink < 10) blankCanvases.push(c.closest(".evz[id]").id + " panel " + c.getAttribute("data-panel"));
      }
      return { views: views.length, mounted: views.filter((e) => e.getAttribute("data-mounted") === "1").length, postersShown: shown.length, errorBoxes: errs, blankCanvases };
    }));
    // Every output with content (non-empty text/html, or an image) must show something: mark its
    // output area through the notebook's model, screenshot it and count inked pixels.
    const marked = await page.evaluate(() => {
      const out = [];
      Jupyter.notebook.get_cells().forEach((cell, ci) => {
        if (!cell.output_area) return;
        const areas = cell.output_area.element.children(".output_area");
        cell.output_area.outputs.forEach((o, j) => {
          const d = o.data || {};
          let html = d["text/html"];
          if (Array.isArray(html)) html = html.join("");
          const img = d["image/png"] || d["image/svg+xml"] || d["image/jpeg"];
          if (!(html && html.trim()) && !img) return;
          const sub = areas.eq(j).find(".output_subarea").get(0);
          if (!sub) return;
          sub.setAttribute("data-share", String(out.length));
          out.push({ cell: ci, output: j });
        });
      });
      return out;
    });
    for (let i = 0; i < marked.length; i++) {
      const a = page.locator(`[data-share="${i}"]`);
      const info = await a.evaluate((e) => ({ text: e.textContent.trim().slice(0, 80), html: e.innerHTML.slice(0, 160) }));
      res.outputs++;
      let ink = 0;
      const box = await a.boundingBox();
      if (box && box.width >= 1 && box.height >= 1) {
        await a.scrollIntoViewIfNeeded();
        const png = await a.screenshot({ timeout: 20000 });
        ink = await page.evaluate(async (b64) => {
          const img = new Image();
          img.src = "data:image/png;base64," + b64;
          await img.decode();
          const c = document.createElement("canvas");
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext("2d");
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let k = 0;
          for (let j = 0; j < d.length; j += 4) if (d[j] < 235 || d[j + 1] < 235 || d[j + 2] < 235) k++;
          return k;
        }, png.toString("base64"));
        if (ink < 150 && shotDir) {
          const f = path.join(shotDir, `${path.basename(name, ".ipynb")}.${mode}.blank-${res.blank.length}.png`);
          fs.writeFileSync(f, png);
          res.shots.push(f);
        }
      }
      if (ink < 150) res.blank.push({ index: res.outputs - 1, cell: marked[i].cell, ink, height: box ? Math.round(box.height) : 0, text: info.text, html: info.html });
    }
    if (shotDir) {
      const f = path.join(shotDir, `${path.basename(name, ".ipynb")}.${mode}.png`);
      await page.screenshot({ path: f, fullPage: true });
      res.shots.unshift(f);
    }
  } catch (e) {
    res.pageErrors.push("exception: " + (e && e.stack ? e.stack : e));
  }
  await ctx.close();
  return res;
}
