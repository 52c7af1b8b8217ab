#!/usr/bin/env node
// Checks the built site as a reader's browser shows it (`make check-site`; tests/test_browser.py).
//
// Serves the site on 127.0.0.1 (a static server in this script, on a free port) and opens every page
// (*.html outside _static) in headless Chromium (Debian's, never downloaded: $CHROMIUM, a path or a
// name found on PATH, else /usr/bin/chromium) with every request that leaves localhost blocked and
// recorded, in the light and the dark colour scheme. Each scheme is one fresh browser context that
// opens the landing page first, with empty storage, as a new reader does. Per page and scheme it
// records console errors and uncaught exceptions, blocked and failed requests, whether the theme
// really shows that scheme (html[data-theme], the page background), whether MathJax rendered the
// maths (an output per maths element, no TeX delimiters left in the text), whether the page scrolls
// sideways at phone width, and axe-core's WCAG 2.0/2.1 A and AA violations at desktop width with
// every folded cell and solution opened. It takes one full-page screenshot at phone (390 px) and one
// at desktop (1280 px) width, with the page as it loads (folded parts folded).
//
//   node tools/check_site.mjs [--site _build/html] [--report _build/site-check.json]
//                             [--screenshots _build/screenshots] [--pages a.html,b/c.html] [--tabs 1]
//
// --tabs N checks N pages at once per scheme (default 1: with two schemes that already keeps two
// cores busy). Writes the JSON report and the screenshots (the folder's old PNG files are removed first); exit status
// 0 when no page has a problem, 1 when one has (the report lists them), 2 when the check could not run.

import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const AXE_DIR = path.join(ROOT, "node_modules", "axe-core");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const SCHEMES = ["light", "dark"];
const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const TIMEOUT_MS = 30_000;
// What visible text must not contain once MathJax has run: Sphinx's inline and display
// delimiters, and the dollar pairs of MyST's dollarmath.
const RAW_MATH = /\\\(|\\\)|\\\[|\\\]|\$\$/;

function parseArgs(argv) {
  const args = {
    site: path.join(ROOT, "_build", "html"),
    report: path.join(ROOT, "_build", "site-check.json"),
    screenshots: path.join(ROOT, "_build", "screenshots"),
    pages: null,
    tabs: 1,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (!["--site", "--report", "--screenshots", "--pages", "--tabs"].includes(key) || value === undefined) {
      throw new Error(`usage: check_site.mjs [--site DIR] [--report FILE] [--screenshots DIR] [--pages a.html,...] [--tabs N]; got ${key}`);
    }
    if (key === "--pages") args.pages = value.split(",").filter(Boolean);
    else if (key === "--tabs") args.tabs = Math.max(1, Number.parseInt(value, 10) || 1);
    else args[key.slice(2)] = path.resolve(value);
  }
  return args;
}

// The browser: $CHROMIUM (a path, or a name looked up on PATH; the Makefile exports it, default chromium).
function chromiumPath() {
  const wanted = process.env.CHROMIUM || "chromium";
  if (wanted.includes("/")) return path.resolve(wanted);
  for (const dir of (process.env.PATH || "").split(":").filter(Boolean)) {
    const candidate = path.join(dir, wanted);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`no Chromium: ${wanted} is not on PATH (run make chromium, or set CHROMIUM)`);
}

// Every page of the site, the landing page first (a new reader's first visit).
async function sitePages(site) {
  const found = [];
  async function walk(dir) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "_static") await walk(full);
      else if (entry.isFile() && entry.name.endsWith(".html")) found.push(path.relative(site, full).split(path.sep).join("/"));
    }
  }
  await walk(site);
  return found.sort((a, b) => (a === "index.html" ? -1 : b === "index.html" ? 1 : a.localeCompare(b)));
}

const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
  ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".ico": "image/x-icon", ".woff": "font/woff",
  ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf", ".txt": "text/plain; charset=utf-8",
  ".ipynb": "application/x-ipynb+json", ".md": "text/markdown; charset=utf-8", ".inv": "application/octet-stream",
};

// A static file server for the site on 127.0.0.1 and a free port, like any static host.
function serve(site) {
  const server = createServer(async (request, response) => {
    try {
      let file = path.join(site, decodeURIComponent(new URL(request.url, "http://x").pathname));
      if (!file.startsWith(site)) throw new Error("outside the site");
      if (file.endsWith("/")) file = path.join(file, "index.html");
      const body = await readFile(file);
      response.writeHead(200, { "Content-Type": MIME[path.extname(file).toLowerCase()] || "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404, { "Content-Type": "text/plain" });
      response.end("not found");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function isLocal(url) {
  try {
    const { protocol, hostname } = new URL(url);
    if (["data:", "blob:", "about:"].includes(protocol)) return true;
    return (protocol === "http:" || protocol === "https:") && ["127.0.0.1", "localhost"].includes(hostname);
  } catch {
    return false;
  }
}

function screenshotName(page, scheme, width) {
  return `${page.replace(/\.html$/, "").replaceAll("/", "-")}-${scheme}-${width}.png`;
}

// The target of a <meta http-equiv="refresh"> redirect (the site root redirects to the intro).
function refreshTarget(html) {
  const meta = html.match(/<meta\s+http-equiv=["']?refresh["']?\s+content=["']\s*\d+\s*;\s*url=([^"'>\s]+)/i);
  return meta ? meta[1] : null;
}

// In the page: the theme's mode, the colours it shows, and the state of its maths.
function inspectPage(rawMath) {
  const html = document.documentElement;
  const rgb = (c) => (c.match(/[\d.]+/g) || [0, 0, 0]).slice(0, 3).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  // What shows behind the text: the body's background, else the root's, else the canvas (white).
  const opaque = (c) => c && !/^rgba\(.*,\s*0\)$/.test(c) && c !== "transparent";
  const background = [document.body, html].map((el) => getComputedStyle(el).backgroundColor).find(opaque)
    || "rgb(255, 255, 255)";
  const text = getComputedStyle(document.body).color;
  // Text a reader can meet (solutions folded in <details> included), code apart: raw TeX left there
  // means MathJax missed it.
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) =>
      node.parentElement.closest("pre, code, script, style, textarea, mjx-container, .highlight, .cell_input")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const pattern = new RegExp(rawMath);
  while (walker.nextNode() && raw.length < 5) {
    const value = walker.currentNode.nodeValue;
    const at = value.search(pattern);
    if (at >= 0) raw.push(value.slice(Math.max(0, at - 30), at + 50).replace(/\s+/g, " "));
  }
  return {
    mode: html.dataset.mode ?? null,
    theme: html.dataset.theme ?? null,
    background,
    text,
    background_luminance: Number(luminance(rgb(background)).toFixed(3)),
    math: {
      elements: document.querySelectorAll(".math").length,
      rendered: document.querySelectorAll("mjx-container").length,
      mathjax: Boolean(window.MathJax && window.MathJax.startup),
      raw_delimiters: raw,
    },
  };
}

async function runAxe(page, axeSource) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return {
      violations: result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
        summary: v.nodes[0] ? v.nodes[0].failureSummary : "",
        html: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 240)),
      })),
      incomplete: result.incomplete.map((v) => ({ id: v.id, nodes: v.nodes.length })),
    };
  }, AXE_TAGS);
}

// What is wrong with one page in one scheme, in words (empty: nothing).
function problemsOf(r, scheme) {
  const problems = [];
  for (const e of r.console_errors) problems.push(`console error: ${e}`);
  for (const e of r.page_errors) problems.push(`uncaught exception: ${e}`);
  for (const u of r.blocked_requests) problems.push(`request leaving localhost (blocked): ${u}`);
  for (const u of r.failed_requests) problems.push(`request failed: ${u}`);
  if (r.theme.theme !== scheme) problems.push(`the theme shows ${r.theme.theme} (data-theme), not ${scheme}`);
  const dark = r.theme.background_luminance < 0.2;
  if (dark !== (scheme === "dark")) problems.push(`page background ${r.theme.background} does not look ${scheme}`);
  const m = r.math;
  if (m.elements > 0 || m.raw_delimiters.length) {
    if (!m.mathjax) problems.push(`maths on the page (${m.elements} elements) but MathJax did not start`);
    if (m.error) problems.push(`MathJax failed: ${m.error}`);
    if (m.rendered < m.elements) problems.push(`maths not rendered: ${m.rendered} MathJax outputs for ${m.elements} maths elements`);
    for (const raw of m.raw_delimiters) problems.push(`raw TeX left in the text: ${raw}`);
  }
  for (const v of r.axe ? r.axe.violations : []) {
    problems.push(`axe ${v.id} (${v.impact}, ${v.nodes} nodes): ${v.help}; e.g. ${v.targets.slice(0, 3).join(" | ")}`);
  }
  if (r.phone_overflow) {
    const o = r.phone_overflow;
    problems.push(`at ${o.viewport} px the page is ${o.page_width} px wide (scrolls sideways): ${o.culprits.join("; ")}`);
  }
  if (r.error) problems.push(`check failed: ${r.error}`);
  return problems;
}

// A full-page PNG through the DevTools protocol, encoded for speed (Playwright's own full-page
// screenshot gives the same pixels, about twice as slowly, on pages 75,000 px tall).
async function fullPageScreenshot(cdp, file) {
  const { cssContentSize: size } = await cdp.send("Page.getLayoutMetrics");
  const { data } = await cdp.send("Page.captureScreenshot", {
    format: "png", captureBeyondViewport: true, optimizeForSpeed: true,
    clip: { x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height), scale: 1 },
  });
  await writeFile(file, Buffer.from(data, "base64"));
}

const nextFrame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0))));

// In the page: wait for running transitions (a dropdown fades in, a sidebar slides in) to end, at most 2 s.
function settled() {
  const finite = document.getAnimations().filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
  return Promise.race([Promise.all(finite.map((a) => a.finished)), new Promise((done) => setTimeout(done, 2000))])
    .then(() => null);
}

// In the page: open every folded part (myst-nb's folded code cells are <details>, sphinx-togglebutton's
// solutions are dropdown admonitions), as a reader who opens them all; returns how many were opened.
function openFoldedParts() {
  let opened = 0;
  for (const details of document.querySelectorAll("details:not([open])")) {
    (details.querySelector(":scope > summary") || details).click();
    opened += 1;
  }
  for (const button of document.querySelectorAll(".toggle-button[aria-expanded='false'], .toggle-button-hidden")) {
    button.click();
    opened += 1;
  }
  return opened;
}

// In the page, at phone width: does the page scroll sideways, and because of what?
function sidewaysOverflow() {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0 || getComputedStyle(el).visibility === "hidden") continue;
    if (getComputedStyle(el).position === "fixed") continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
    }
    if (clipped) continue;
    culprits.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ${JSON.stringify((el.textContent || "").trim().slice(0, 60))}`);
    if (culprits.length >= 3) break;
  }
  return { page_width: document.documentElement.scrollWidth, viewport: width, culprits };
}

// One page in one scheme, as a reader sees it: loaded at phone width (screenshot, sideways
// scrolling), then at desktop width (screenshot), then with every folded part opened, axe.
async function checkPage(page, cdp, state, ctx) {
  const { name, scheme, origin, site, shots, axeSource } = ctx;
  const record = {
    console_errors: [], page_errors: [], blocked_requests: [], failed_requests: [],
    redirected_to: null, screenshots: {}, axe: null, phone_overflow: null, folded_opened: 0, timings: {},
  };
  state.current = record;
  const started = Date.now();
  let lap = started;
  const time = (step) => {
    const now = Date.now();
    record.timings[step] = Number(((now - lap) / 1000).toFixed(2));
    lap = now;
  };
  try {
    await page.setViewportSize(WIDTHS.phone);
    await page.goto(`${origin}/${name}`, { waitUntil: "load", timeout: TIMEOUT_MS });
    const target = refreshTarget(readFileSync(path.join(site, name), "utf-8"));
    if (target) {
      const url = new URL(target, `${origin}/${name}`).href;
      await page.waitForURL(url, { waitUntil: "load", timeout: TIMEOUT_MS });
      record.redirected_to = url.slice(origin.length + 1);
    }
    // MathJax (when the page has it) typesets the whole page once it starts.
    const mathError = await page.evaluate(async () => {
      if (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) return null;
      try {
        await window.MathJax.startup.promise;
        return null;
      } catch (e) {
        return String(e);
      }
    });
    await page.evaluate(() => document.fonts.ready.then(() => null));
    time("load");
    const seen = await page.evaluate(inspectPage, RAW_MATH.source);
    record.theme = { mode: seen.mode, theme: seen.theme, background: seen.background, text: seen.text,
      background_luminance: seen.background_luminance };
    record.math = { ...seen.math, error: mathError };
    record.phone_overflow = await page.evaluate(sidewaysOverflow);
    time("inspect");
    for (const width of ["phone", "desktop"]) {
      if (width !== "phone") {
        // The theme slides the sidebar in over 0.3 s when the window widens: wait for it to end.
        await page.setViewportSize(WIDTHS[width]);
        await page.evaluate(nextFrame);
      }
      // Twice: a transition may start a frame after another ends (the table of contents highlights
      // its first entry once the sidebar is in place), and the capture needs the frame after them.
      for (let i = 0; i < 2; i += 1) {
        await page.evaluate(settled);
        await page.evaluate(nextFrame);
      }
      const file = path.join(shots, screenshotName(name, scheme, width));
      await fullPageScreenshot(cdp, file);
      record.screenshots[width] = path.relative(ROOT, file);
      time(`screenshot_${width}`);
    }
    record.folded_opened = await page.evaluate(openFoldedParts);
    await page.evaluate(nextFrame);
    await page.evaluate(settled);
    record.axe = await runAxe(page, axeSource);
    time("axe");
  } catch (e) {
    record.error = String(e && e.message ? e.message.split("\n")[0] : e);
  }
  state.current = null;
  record.theme ??= { mode: null, theme: null, background: null, background_luminance: null };
  record.math ??= { elements: 0, rendered: 0, mathjax: false, raw_delimiters: [], error: null };
  record.seconds = Number(((Date.now() - started) / 1000).toFixed(2));
  record.problems = problemsOf(record, scheme);
  return record;
}

// One scheme: one fresh context (empty profile, the browser emulating the scheme). The landing
// page is opened first, with empty storage, so the theme starts from its default mode and follows
// the system scheme; after it the theme's own mode is set to the scheme too (as a reader who picked
// it with the theme's button), so both ways of asking for dark are exercised. The other pages are
// then shared out among `tabs` tabs, largest first.
async function checkScheme(browser, scheme, pages, ctx) {
  const context = await browser.newContext({ colorScheme: scheme, viewport: WIDTHS.desktop, deviceScaleFactor: 1,
    serviceWorkers: "block" });
  const stray = [];
  const states = new Map();
  const noteFor = (page) => (key, value) => {
    const state = states.get(page);
    if (state && state.current) state.current[key].push(value);
    else stray.push(`${key}: ${value}`);
  };
  await context.route("**/*", (route) => {
    const request = route.request();
    if (isLocal(request.url())) return route.continue();
    let page = null;
    try {
      page = request.frame().page();
    } catch {
      // a request from no page (a worker): noted as stray
    }
    noteFor(page)("blocked_requests", request.url());
    return route.abort("blockedbyclient");
  });
  const openTab = async () => {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const state = { current: null };
    states.set(page, state);
    const note = noteFor(page);
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const where = message.location();
      note("console_errors", `${message.text()}${where && where.url ? ` (${where.url.replace(ctx.origin, "")}:${where.lineNumber + 1})` : ""}`);
    });
    page.on("pageerror", (error) => note("page_errors", String(error && error.message ? error.message : error)));
    page.on("requestfailed", (request) => {
      if (isLocal(request.url())) note("failed_requests", `${request.url().replace(ctx.origin, "")}: ${request.failure()?.errorText}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) note("failed_requests", `${response.url().replace(ctx.origin, "")}: HTTP ${response.status()}`);
    });
    return { page, cdp, state };
  };
  const results = {};
  const check = async (tab, name) => {
    results[name] = await checkPage(tab.page, tab.cdp, tab.state, { ...ctx, name, scheme });
    process.stderr.write(`  ${scheme.padEnd(5)} ${name}: ${results[name].problems.length} problems, ${results[name].seconds} s\n`);
  };
  const first = await openTab();
  const [landing, ...rest] = pages;
  await check(first, landing);
  await first.page.evaluate((mode) => localStorage.setItem("mode", mode), scheme).catch(() => {});
  const size = (name) => statSync(path.join(ctx.site, name)).size;
  const queue = rest.sort((a, b) => size(b) - size(a));
  const tabs = [first];
  while (tabs.length < Math.min(ctx.tabs, Math.max(1, queue.length))) tabs.push(await openTab());
  await Promise.all(tabs.map(async (tab) => {
    while (queue.length) await check(tab, queue.shift());
  }));
  await context.close();
  return { results, stray };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const site = path.resolve(args.site);
  if (!existsSync(path.join(site, "index.html")) && !args.pages) throw new Error(`no site at ${site}: run make book`);
  const pages = args.pages || (await sitePages(site));
  const axeSource = readFileSync(path.join(AXE_DIR, "axe.min.js"), "utf-8");
  const axeVersion = JSON.parse(readFileSync(path.join(AXE_DIR, "package.json"), "utf-8")).version;
  // Screenshots of pages since removed must not linger: the folder's PNG files go first.
  await mkdir(args.screenshots, { recursive: true });
  for (const old of await readdir(args.screenshots)) {
    if (old.endsWith(".png")) await rm(path.join(args.screenshots, old));
  }
  const server = await serve(site);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const executablePath = chromiumPath();
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-dev-shm-usage",
      // Second line of defence under the request routing below: the browser's own requests
      // (which routing does not see) cannot resolve any host but this machine.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"],
  });
  const browserVersion = browser.version();
  let schemes;
  try {
    const ctx = { origin, site, shots: args.screenshots, axeSource, tabs: args.tabs };
    // The two schemes run side by side (two contexts of one browser): most of a page's time is
    // waiting on layout, MathJax and screenshot encoding, so two in flight keep both cores busy.
    schemes = await Promise.all(SCHEMES.map((scheme) => checkScheme(browser, scheme, pages, ctx)));
  } finally {
    await browser.close();
    server.close();
  }
  const report = {
    site: path.relative(ROOT, site) || ".",
    chromium: { path: executablePath, version: browserVersion },
    axe: { version: axeVersion, tags: AXE_TAGS },
    widths: Object.fromEntries(Object.entries(WIDTHS).map(([k, v]) => [k, v.width])),
    schemes: SCHEMES,
    pages: Object.fromEntries(pages.map((name) => [name, Object.fromEntries(SCHEMES.map((s, i) => [s, schemes[i].results[name]]))])),
    // Anything noticed while no page was being checked (between pages).
    stray: schemes.flatMap((s) => s.stray),
  };
  report.problems = Object.entries(report.pages).flatMap(([name, bySheme]) =>
    Object.entries(bySheme).flatMap(([scheme, r]) => r.problems.map((p) => `${name} [${scheme}]: ${p}`)));
  report.problems.push(...report.stray.map((s) => `between pages: ${s}`));
  report.ok = report.problems.length === 0;
  report.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  await mkdir(path.dirname(args.report), { recursive: true });
  await writeFile(args.report, JSON.stringify(report, null, 1) + "\n");
  process.stderr.write(`${pages.length} pages x ${SCHEMES.length} schemes in ${report.seconds} s: ` +
    `${report.problems.length} problems; report ${path.relative(process.cwd(), args.report)}\n`);
  for (const p of report.problems.slice(0, 40)) process.stderr.write(`  ${p}\n`);
  return report.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`check_site: ${error && error.stack ? error.stack : error}\n`);
  process.exit(2);
});
