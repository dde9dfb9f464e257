/**
 * The console's lender path in a real browser: the loans table filtered as the API filters it, the
 * portfolio dashboard's tables equal to the API's figures (in English and Chinese, desktop and phone),
 * and the CSV export equal to the API's loans for the chosen filter and sort.
 */
import fs from "node:fs";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { parseCsv } from "../../../src/files/csv";
import { launchBrowser, screenshot, seriousViolations } from "../../support/browser";
import { settle, type DemoContext } from "./context";

/** The `data-value` of every cell of a chart's table, row by row. */
const tableOf = (page: Page, chart: string) =>
  page.$$eval(`figure[data-chart="${chart}"] tbody tr`, (trs) => trs.map((tr) => Array.from(tr.children, (c) => (c as { getAttribute(name: string): string | null }).getAttribute("data-value"))));

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/**
 * Compares what `read` shows with what `want` expects, re-reading both (after `refresh`) while they differ:
 * the demo's chain moves on (the notifier records notices), so the page and the API may be a block apart.
 */
async function agree<T>(want: () => Promise<T>, read: () => Promise<T>, refresh: () => Promise<void>): Promise<{ got: T; expected: T }> {
  let expected = await want();
  let got = await read();
  for (let i = 0; i < 5 && JSON.stringify(got) !== JSON.stringify(expected); i++) {
    await refresh();
    expected = await want();
    got = await read();
  }
  return { got, expected };
}

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

    it("shows the portfolio dashboard with the API's figures in every chart's table, in English and Chinese, on a desktop and a phone", async function () {
      const { api, get } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(`${api}/`);
        await page.click("button[data-role=lender]");
        const ready = async () => {
          for (const chart of ["ageing", "rolls", "collectors", "notices"]) await page.waitForSelector(`figure[data-chart="${chart}"] tbody tr`, { state: "attached" });
        };
        await ready();
        expect(page.url()).to.equal(`${api}/dashboard`);
        const want = async () => {
          const [p, tr, n] = await Promise.all([get("/v1/portfolio", "lender"), get("/v1/portfolio/trends?months=12", "lender"), get("/v1/portfolio/notices", "lender")]);
          for (const r of [p, tr, n]) expect(r.status).to.equal(200);
          const portfolio = p.body;
          const trends = tr.body;
          const destinations = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+", "closed", "written_off", "settled"];
          const statuses = Object.keys(n.body.statuses);
          return {
            totals: [portfolio.totals.loans, portfolio.totals.outstandingPrincipal, portfolio.totals.amountOverdue, portfolio.totals.penaltyAccrued].map(str),
            ageing: trends.ageing.flatMap((m: any) => m.buckets.map((b: any) => [m.month, b.bucket, str(b.loans), b.amountOverdue])),
            vintages: trends.vintages.flatMap((v: any) => v.points.map((q: any) => [v.month, str(v.originated), str(q.monthsOnBook), str(q.loans), str(q.share)])),
            rolls: ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"].map((from) => [
              from,
              ...destinations.map((to) => str(portfolio.rollRates.transitions.find((x: any) => x.from === from && x.to === to)?.loans ?? 0)),
              str(portfolio.rollRates.rates.find((r: any) => r.from === from)?.rate ?? null),
            ]),
            recoveries: [[str(portfolio.recoveries.count), portfolio.recoveries.amount]],
            collectors: portfolio.collectors.map((c: any) => [c.collector, str(c.actions), str(c.contactsMade), str(c.promises), str(c.flagged), str(c.lastActionAt)]),
            notices: n.body.channels.map((c: any) => [c.channel, ...statuses.map((s) => str(c.statuses[s])), str(c.total)]),
          };
        };
        const read = async () => ({
          totals: await page.$$eval("dl.headline dd", (dds) => dds.map((dd) => dd.getAttribute("data-value"))),
          ageing: await tableOf(page, "ageing"),
          vintages: await tableOf(page, "vintages"),
          rolls: await tableOf(page, "rolls"),
          recoveries: await tableOf(page, "recoveries"),
          collectors: await tableOf(page, "collectors"),
          notices: await tableOf(page, "notices"),
        });
        const { got, expected } = await agree(want, read, async () => {
          await page.reload();
          await ready();
        });
        expect(got).to.deep.equal(expected);
        expect(expected.ageing.length, "12 month-ends of 8 buckets").to.equal(96);
        expect(expected.vintages.length, "the demo's loans were originated within the year").to.be.greaterThan(0);
        expect(expected.collectors.length).to.be.greaterThan(0);
        expect(await page.textContent("h1")).to.equal("Portfolio");
        expect(await page.textContent("main p.meta")).to.include("(chain time)");
        expect(await page.$$("figure canvas")).to.have.length.greaterThan(4);
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "lender-dashboard-en");

        await page.click("header button[lang=zh-CN]");
        await page.waitForSelector("h1:text('资产组合')");
        expect(await page.textContent("main p.meta")).to.include("链上时间");
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "lender-dashboard-zh");
        await page.setViewportSize({ width: 390, height: 844 });
        await page.waitForSelector(`figure[data-chart="ageing"] canvas`);
        // Nothing wider than the phone once the charts have followed the window (a resize observer, so polled).
        const fits = async () => (await page.evaluate("document.documentElement.scrollWidth")) as number <= 390;
        // On failure, name the elements that stick out of their parents.
        const wide = `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 391 && e.parentElement.getBoundingClientRect().right <= 391)
          .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')`;
        expect(await settle(fits, true), `wider than 390: ${await page.evaluate(wide)}`).to.equal(true);
        const widths = await page.$$eval("figure canvas", (els) => els.map((el) => el.getBoundingClientRect().width));
        for (const w of widths) expect(w).to.be.at.most(390);
        await screenshot(page, "lender-dashboard-zh-phone");
      } finally {
        await browser.close();
      }
    });

    it("exports the loans of the chosen filter and sort as CSV, every page, equal to the API's loans", async function () {
      const { api, get } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
        await page.goto(`${api}/`);
        await page.click("button[data-role=lender]");
        await page.click("nav a[href='/loans']");
        await page.waitForSelector("table tbody tr");
        await page.selectOption("select[name=sort]", "-amountOverdue");
        const want = async () => {
          const all: any[] = [];
          let cursor = "";
          do {
            const r = await get(`/v1/loans?sort=-amountOverdue&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, "lender");
            expect(r.status).to.equal(200);
            all.push(...r.body.items);
            cursor = r.body.nextCursor ?? "";
          } while (cursor);
          return all.map((l) => [l.loanId, l.lender, l.borrower, l.principal, l.status.state, String(l.status.dpd), l.status.bucket, l.status.amountOverdue, l.status.penaltyAccrued]);
        };
        let header: string[] = [];
        const read = async () => {
          const [download] = await Promise.all([page.waitForEvent("download"), page.click("button:text('Download CSV')")]);
          const text = fs.readFileSync((await download.path())!, "utf8");
          const [head, ...rows] = parseCsv(text.replace(/\r\n$/, "")).map((r) => r.cells);
          header = head!;
          const col = (name: string) => header.indexOf(name);
          const cols = ["loanId", "lender", "borrower", "principal", "state", "dpd", "bucket", "amountOverdue", "penaltyAccrued"].map(col);
          return rows.map((r) => cols.map((i) => r[i]!));
        };
        const { got, expected } = await agree(want, read, async () => undefined);
        expect(got).to.deep.equal(expected);
        expect(expected.length).to.be.greaterThan(5); // more than one page of the API's
        expect(header.slice(0, 3)).to.deep.equal(["loanId", "lender", "borrower"]);
        expect(await page.textContent("[data-export=done]")).to.equal(`${expected.length} loans exported`);
        for (const r of got) expect(r[7]).to.match(/^\d+$/); // amounts: integers in minor units
      } finally {
        await browser.close();
      }
    });
  });
}
