/**
 * Headless Chromium from the npm registry alone: @sparticuz/chromium ships the
 * browser inside its package (unpacked to /tmp/chromium on first use) and
 * playwright-core drives it. Flags: no sandbox (tests run as root), and no
 * background traffic, since the machine has no network beyond the registry.
 */
import chromium from "@sparticuz/chromium";
import { chromium as playwright, type Browser, type Page } from "playwright-core";

export const BROWSER_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
];

export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromium.executablePath(), args: BROWSER_FLAGS, headless: true });
}

/**
 * Chromium cannot always capture a long page in one shot: a full-page
 * screenshot of the report at phone width failed now and then with "Unable to
 * capture screenshot", on a loaded CI machine even below this height. The
 * screenshots are for people to look at (test-output/), never asserted on, so
 * the capture stops at this height, is tried again, then falls back to the
 * viewport, and a capture that still fails is a warning, not a failed test.
 */
export const MAX_SCREENSHOT_HEIGHT = 12_000;
const FULL_PAGE_TRIES = 3;

/** A full-page screenshot, at most MAX_SCREENSHOT_HEIGHT pixels of it from the top; true if one was saved. */
export async function saveScreenshot(page: Page, path: string): Promise<boolean> {
  // A string: the tests compile without the DOM's types.
  const { width, height } = (await page.evaluate("({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })")) as { width: number; height: number };
  const clip = { x: 0, y: 0, width, height: Math.min(height, MAX_SCREENSHOT_HEIGHT) };
  let last: unknown;
  for (let attempt = 0; attempt < FULL_PAGE_TRIES; attempt++) {
    try {
      await page.screenshot({ path, fullPage: true, clip });
      return true;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 250 * (attempt + 1)));
    }
  }
  try {
    await page.screenshot({ path });
    console.warn(`screenshot ${path}: the full page (${width} × ${clip.height} px) could not be captured (${String(last)}); saved the viewport instead`);
    return true;
  } catch (error) {
    console.warn(`screenshot ${path}: not saved (${String(error)})`);
    return false;
  }
}
