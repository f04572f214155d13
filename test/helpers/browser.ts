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
 * Chromium cannot capture a page taller than its largest texture in one shot:
 * a full-page screenshot of a long report at phone width failed now and then
 * with "Unable to capture screenshot". The screenshots are for people to look
 * at (test-output/), never asserted on, so the capture stops at this height.
 */
export const MAX_SCREENSHOT_HEIGHT = 12_000;

/** A full-page screenshot, at most MAX_SCREENSHOT_HEIGHT pixels of it from the top. */
export async function saveScreenshot(page: Page, path: string): Promise<void> {
  // A string: the tests compile without the DOM's types.
  const { width, height } = (await page.evaluate("({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })")) as { width: number; height: number };
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height: Math.min(height, MAX_SCREENSHOT_HEIGHT) } });
}
