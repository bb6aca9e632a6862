#!/usr/bin/env node
// HTML_CodeSniffer (through pa11y, standard WCAG2AA) on many pages in one process and one
// browser: Debian's chromium, started once, each page opened in its own tab.
//
// Reads a JSON list of checks on stdin:
//   [{"id": "home ar 390", "url": "http://127.0.0.1:PORT/?lang=ar",
//     "viewport": {"width": 390, "height": 844}, "cookies": [{name, value, domain, path}],
//     "inject": "<span lang=ar>…</span>", "waitFor": "#queue-bar .queue-title",
//     "click": ["#queue-bar .queue-list-toggle"]}]
// ("cookies", "inject", "waitFor" and "click" are optional: a part of the page its script
// shows, awaited, and buttons pressed before the check) and prints one JSON list of results
// on stdout:
//   [{"id", "url", "issues": [{code, type, message, selector, context}], "error": null}]
// Errors (type "error") only: warnings and notices ask a person to judge, not a test.
"use strict";

const puppeteer = require("puppeteer");
const pa11y = require("pa11y");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const quiet = { debug() {}, info() {}, error() {} };

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Open the page as a visitor would, add the injected markup, then let pa11y check it. */
async function check(browser, job) {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900, ...job.viewport });
    if (job.cookies && job.cookies.length) await context.setCookie(...job.cookies);
    const response = await page.goto(job.url, { waitUntil: "load", timeout: 30000 });
    if (!response || response.status() !== 200) {
      return { id: job.id, url: job.url, issues: [], error: `GET answered ${response && response.status()}` };
    }
    if (job.waitFor) await page.waitForSelector(job.waitFor, { visible: true, timeout: 15000 });
    for (const selector of job.click || []) await page.click(selector);
    if (job.inject) {
      // Through the DOM (not markup with a style attribute), so the page's CSP allows it.
      await page.evaluate((html) => {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        for (const element of holder.querySelectorAll("[data-color]")) {
          element.style.color = element.dataset.color;
          element.style.background = element.dataset.background || "";
        }
        document.querySelector("main").prepend(...holder.childNodes);
      }, job.inject);
    }
    const result = await pa11y(job.url, {
      browser,
      page,
      ignoreUrl: true,
      runners: ["htmlcs"],
      standard: "WCAG2AA",
      includeWarnings: false,
      includeNotices: false,
      timeout: 60000,
      log: quiet,
    });
    const issues = result.issues
      .filter((issue) => issue.type === "error")
      .map(({ code, type, message, selector, context: markup }) => ({
        code, type, message, selector, context: markup,
      }));
    return { id: job.id, url: job.url, issues, error: null };
  } catch (error) {
    return { id: job.id, url: job.url, issues: [], error: String(error && error.stack || error) };
  } finally {
    await context.close();
  }
}

async function main() {
  const jobs = await readStdin();
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const results = [];
  try {
    for (const job of jobs) results.push(await check(browser, job));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack || error}\n`);
  process.exit(1);
});
