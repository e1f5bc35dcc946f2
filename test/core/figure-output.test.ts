import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { figureHtml } from "../../lib/core/plot";
import { drawsAlone, openBrowser } from "./figure-page";

let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const FIG = { data: [{ x: [1, 2, 3], y: [3, 1, 2], type: "scatter" }], layout: { title: { text: "alone" } } };

describe("a saved figure output draws on its own", () => {
  it("the first and a later output of one kernel each draw in a page of their own", async () => {
    const first = figureHtml(FIG, 300, "first");
    const later = figureHtml(FIG, 300, "later");
    expect(await drawsAlone(browser, first)).toBe("drawn");
    expect(await drawsAlone(browser, later)).toBe("drawn");
  });

  it("two outputs in one page unpack plotly.js once and both draw", async () => {
    const page = await browser.newPage();
    try {
      await page.setContent(`<!doctype html><html><body>${figureHtml(FIG, 200)}${figureHtml(FIG, 200)}</body></html>`);
      // plotly draws two main-svg layers per figure; one <script> was added for plotly.js
      await page.waitForFunction('document.querySelectorAll("svg.main-svg").length >= 4', undefined, { timeout: 60_000 });
      expect(await page.evaluate('document.querySelectorAll("head script").length')).toBe(1);
    } finally {
      await page.close();
    }
  });

  it("with scripts off (an untrusted notebook) the box says why it is empty", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    try {
      await page.setContent(`<!doctype html><html><body>${figureHtml(FIG, 200)}</body></html>`);
      expect(await page.textContent("body")).toContain("This figure draws with JavaScript: run the cell, or trust the notebook");
    } finally {
      await page.close();
    }
  });
});
