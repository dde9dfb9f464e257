/** The console's collector path in a real browser: the queue as the API orders it, a loan's page, both languages, a phone. */
import crypto from "node:crypto";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { launchBrowser, screenshot, seriousViolations } from "../../support/browser";
import { dropFile, injectWallet, settle, subjectOf, type DemoContext } from "./context";

/** The page's timeline as (event, tx) pairs, and the API's. */
const pageTimeline = (page: Page) => page.$$eval("ol.timeline li", (lis) => lis.map((li) => `${li.getAttribute("data-event")} ${li.getAttribute("data-tx")}`));

export function collectorConsole(demo: DemoContext) {
  describe("console: collector", function () {
    it("signs in with the demo picker and works the queue the API orders, in English and Chinese, on a desktop and a phone", async function () {
      const { api, tokens, get } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(`${api}/`);
        await page.waitForSelector("button[data-role=collector]");
        expect(await seriousViolations(page), "axe on the sign-in page: serious or critical").to.deep.equal([]);
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
        // The first loan's page, reached with the keyboard alone: Tab through the header and the order
        // select to the first loan's link, then Enter.
        const first = items[0].loanId as string;
        const focused = () => page.evaluate("document.activeElement && document.activeElement.closest('tr') ? document.activeElement.closest('tr').getAttribute('data-loan') : null");
        let tabs = 0;
        while ((await focused()) !== first && tabs < 20) {
          await page.keyboard.press("Tab");
          tabs++;
        }
        expect(await focused(), `Tab reaches loan ${first}'s link (${tabs} presses)`).to.equal(first);
        await page.keyboard.press("Enter");
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

    it("logs an action on a loan: the API's field error by its field, the evidence's SHA-256 before upload, then the action in the timeline; relayed in English, from the wallet in Chinese", async function () {
      const { api, get, rpcUrl, tokens } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      const collector = subjectOf(tokens.collector!);
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await injectWallet(page, rpcUrl, collector);
        await page.goto(`${api}/`);
        await page.click("button[data-role=collector]");
        await page.waitForSelector("table.queue tbody tr");
        // A loan whose whole timeline fits the page's first 100 events, so the new action shows there.
        const { items } = (await get("/v1/queue?limit=50", "collector")).body;
        let loanId = "";
        for (const i of items) {
          if ((await get(`/v1/loans/${i.loanId}/timeline?limit=90`, "collector")).body.nextCursor === null) {
            loanId = i.loanId;
            break;
          }
        }
        expect(loanId, "a queue loan with under 90 events").to.not.equal("");
        const apiTimeline = async () =>
          (await get(`/v1/loans/${loanId}/timeline?limit=100`, "collector")).body.items.map((e: any) => `${e.event} ${e.txHash}`) as string[];
        await page.goto(`${api}/loans/${loanId}`);
        await page.waitForSelector("form.action-form");
        await page.waitForSelector("ol.timeline li");

        const logAction = async (note: string, evidence: string | null, mode: "relayed" | "wallet") => {
          const before = await apiTimeline();
          await page.fill("input[name=outcome]", "3");
          await page.fill("textarea[name=note]", note);
          if (evidence !== null) {
            await dropFile(page, "call-notes.txt", evidence, "text/plain");
            const sha = `0x${crypto.createHash("sha256").update(evidence).digest("hex")}`;
            // Shown before anything is uploaded: the browser's own hash of the dropped bytes.
            await page.waitForSelector(`.hash[data-sha256="${sha}"]`);
          }
          await page.check(`input[name=mode] >> nth=${mode === "relayed" ? 0 : 1}`);
          await page.click("form.action-form button[type=submit]");
          const after = await settle(async () => ((await apiTimeline()).length > before.length ? "indexed" : "waiting"), "indexed");
          expect(after, "the action is indexed").to.equal("indexed");
          const want = await apiTimeline();
          expect(await settle(() => pageTimeline(page), want)).to.deep.equal(want);
          expect(await page.$$(".pending"), "nothing left pending").to.have.length(0);
          const action = (await get(`/v1/loans/${loanId}/timeline?limit=100`, "collector")).body.items.at(-1);
          expect(action.event).to.equal("ActionRecorded");
          expect(action.args.collector).to.equal(collector);
          const text = evidence ?? note;
          expect(action.args.evidenceHash).to.equal(`0x${crypto.createHash("sha256").update(text).digest("hex")}`);
          return action;
        };

        // The API's own field error, shown by its field (the form leaves validation to the API).
        await page.fill("textarea[name=note]", "out-of-range outcome");
        await page.fill("input[name=outcome]", "70000");
        await page.click("form.action-form button[type=submit]");
        await page.waitForSelector("#err-outcome");
        expect(await page.textContent("#err-outcome")).to.match(/65535/);
        expect(await page.getAttribute("input[name=outcome]", "aria-invalid")).to.equal("true");

        const relayed = await logAction("Called; promised to pay on Friday.", `e2e call notes ${Date.now()}`, "relayed");
        expect(relayed.args.outcome).to.equal(3);
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "collector-action-en");

        await page.click("header button[lang=zh-CN]");
        await page.waitForSelector("h2:text('记录催收行动')");
        const sent = await logAction(`电话已接通，${Date.now()}`, null, "wallet");
        expect(sent.args.kind).to.equal(1); // contact_made, the form's default
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "collector-action-zh");
      } finally {
        await browser.close();
      }
    });
  });
}
