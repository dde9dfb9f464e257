/**
 * Headless Chromium for the console's end-to-end tests: the machine's Debian `chromium`
 * (CHROMIUM_PATH, default /usr/bin/chromium) driven by playwright-core; nothing is downloaded.
 * Without it the tests skip with a notice, unless REQUIRE_BROWSER=1 (.ci/run sets it after
 * installing the package), where a missing browser fails. Screenshots go to test-artifacts/console/.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "./chain";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(REPO_ROOT, "test-artifacts", "console");

/** The browser, or null (with a notice) when the machine has none and none is required. */
export async function launchBrowser(testName: string): Promise<Browser | null> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    if (process.env.REQUIRE_BROWSER === "1") throw new Error(`no Chromium at ${CHROMIUM_PATH}: install the Debian package chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    console.warn(`  notice: "${testName}" skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return null;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  // Every page records what the console's content security policy refuses (seriousViolations reports it).
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (options) => {
    const page = await newPage(options);
    const refused: string[] = [];
    cspRefusals.set(page, refused);
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    return page;
  };
  return browser;
}

const cspRefusals = new WeakMap<Page, string[]>();

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Web fonts load per unicode range on first use (the Chinese glyphs): wait for them, or they show as boxes.
  await page.evaluate("document.fonts.ready.then(() => true)");
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now, and anything the page's CSP refused so far. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the console's CSP (scripts from itself only) blocks an injected tag.
  await page.evaluate(fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as { violations: AxeViolation[] };
  const csp = (cspRefusals.get(page) ?? []).map((text) => ({ id: "content-security-policy", impact: "serious", help: text, nodes: [] }));
  return [...result.violations.filter((v) => v.impact === "serious" || v.impact === "critical"), ...csp];
}
