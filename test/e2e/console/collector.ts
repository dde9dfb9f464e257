/** The console's collector path in a real browser: the queue as the API orders it, a loan's page, both languages, a phone. */
import { expect } from "chai";
import { launchBrowser, screenshot, seriousViolations } from "../../support/browser";
import type { DemoContext } from "./context";

export function collectorConsole(demo: DemoContext) {
  describe("console: collector", function () {
    it("signs in with the demo picker and works the queue the API orders, in English and Chinese, on a desktop and a phone", async function () {
      const { api, tokens, get } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(`${api}/`);
        await page.click("button[data-role=collector]");
        await page.waitForSelector("table.queue tbody tr");
        const { items } = (await get("/v1/queue?limit=50", "collector")).body;
        const rows = await page.$$eval("table.queue tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-loan")));
        expect(rows).to.deep.equal(items.map((i: any) => i.loanId));
        expect(await page.textContent("h1")).to.equal("Work queue");
        // The token stays in session storage, never in the URL.
        expect(page.url()).to.equal(`${api}/queue`);
        expect(await page.evaluate("sessionStorage.getItem('duetrail.session')")).to.include(tokens.collector);
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "collector-queue-en");
        // The first loan's page: its timeline as the API gives it.
        const first = items[0].loanId as string;
        await page.click(`table.queue tbody tr[data-loan="${first}"] a`);
        await page.waitForSelector("ol.timeline li");
        expect(page.url()).to.equal(`${api}/loans/${first}`);
        expect(await page.textContent("h1")).to.equal(`Loan ${first}`);
        const timeline = (await get(`/v1/loans/${first}/timeline?limit=100`, "collector")).body.items.map((e: any) => e.event);
        expect(await page.$$eval("ol.timeline li", (lis) => lis.map((li) => li.getAttribute("data-event")))).to.deep.equal(timeline);
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "collector-loan-en");
        await page.goBack();
        await page.waitForSelector("table.queue tbody tr");
        await page.click("header button[lang=zh-CN]");
        await page.waitForSelector("h1:text('催收队列')");
        expect(await page.getAttribute("html", "lang")).to.equal("zh-CN");
        await screenshot(page, "collector-queue-zh");
        await page.setViewportSize({ width: 390, height: 844 });
        await screenshot(page, "collector-queue-phone");
      } finally {
        await browser.close();
      }
    });
  });
}
