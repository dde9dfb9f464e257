/** The console's lender path in a real browser: the loans table filtered as the API filters it. */
import { expect } from "chai";
import { launchBrowser, screenshot, seriousViolations } from "../../support/browser";
import { settle, type DemoContext } from "./context";

export function lenderConsole(demo: DemoContext) {
  describe("console: lender", function () {
    it("filters the book by bucket as the API does, in Chinese on a phone", async function () {
      const { api, get } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        await page.goto(`${api}/`);
        await page.click("header button[lang=zh-CN]");
        await page.click("button[data-role=lender]");
        await page.click("nav a[href='/loans']");
        await page.waitForSelector("table tbody tr");
        await page.selectOption("select", "M1");
        const m1 = (await get("/v1/loans?bucket=M1&sort=-dpd&limit=50", "lender")).body.items.map((l: any) => l.loanId);
        // Polled from here: waitForFunction evaluates its predicate with eval, which the console's CSP refuses.
        const rowsNow = () => page.$$eval("table tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-loan")));
        expect(await settle(rowsNow, m1)).to.deep.equal(m1);
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "lender-loans-zh-phone");
      } finally {
        await browser.close();
      }
    });
  });
}
