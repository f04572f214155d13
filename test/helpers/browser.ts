/**
 * Headless Chromium from the npm registry alone: @sparticuz/chromium ships the
 * browser inside its package (unpacked to /tmp/chromium on first use) and
 * playwright-core drives it. Flags: no sandbox (tests run as root), and no
 * background traffic, since the machine has no network beyond the registry.
 */
import chromium from "@sparticuz/chromium";
import { chromium as playwright, type Browser } from "playwright-core";

export const BROWSER_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
];

export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromium.executablePath(), args: BROWSER_FLAGS, headless: true });
}
