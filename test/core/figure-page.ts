/** Test helper: opens Debian's Chromium (never a downloaded one) and checks that notebook HTML draws a plotly figure. */
import { chromium, type Browser } from "playwright-core";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function openBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS, headless: true, timeout: 180_000 });
}

/**
 * Loads one output's HTML into a fresh page (no plotly.js preloaded, no network) and returns
 * "drawn" when plotly drew an SVG, else the text left in the page.
 */
export async function drawsAlone(browser: Browser, html: string): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.route("**/*", (route) => route.abort());
    await page.setContent(`<!doctype html><html><body>${html}</body></html>`);
    try {
      await page.waitForSelector("svg.main-svg", { timeout: 60_000, state: "attached" });
      return "drawn";
    } catch {
      return (await page.textContent("body")) ?? "";
    }
  } finally {
    await page.close();
  }
}
