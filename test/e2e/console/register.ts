/**
 * The lender registers loans from a file in the console, in a real browser: a dropped CSV with
 * mistakes shows the CLI's own `line N, field X` lines (computed here with the same shared
 * validation, src/files/loan-file.ts), then a valid two-loan CSV is signed through an EIP-1193
 * wallet injected before the page loads (it forwards JSON-RPC to the demo's node, whose accounts are
 * unlocked), and the new loans are listed and served by the API with the file's principal.
 */
import { expect } from "chai";
import type { Page } from "playwright-core";
import { createPublicClient, getAddress, http, keccak256, stringToHex, type Address } from "viem";
import { readRegistrationFacts } from "../../../src/chain/register-plan";
import { toIsoString } from "../../../src/domain";
import { parseLoanFile } from "../../../src/files/loan-file";
import { formatRowProblem } from "../../../src/files/row-file";
import { launchBrowser, screenshot, seriousViolations } from "../../support/browser";
import { dropFile, injectWallet, subjectOf, type DemoContext } from "./context";

const DAY = 86_400n;
const COLUMNS = "borrower,borrowerRef,token,principal,contractRateBps,utcOffsetMinutes,jurisdiction,kind,count,firstDue";

const problemLines = (page: Page) => page.$$eval(".problems li", (lis) => lis.map((li) => li.textContent ?? ""));

export function registerConsole(demo: DemoContext) {
  describe("console: lender registers loans from a file", function () {
    it("shows the CLI's problems for a bad CSV, then signs a valid one in the wallet and lists the loans the API serves; Chinese on a phone", async function () {
      const { api, get, rpcUrl } = demo;
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const lender = subjectOf(demo.tokens.lender!);
        const chain = (await get("/v1/chain", "lender")).body;
        const client = createPublicClient({ transport: http(rpcUrl) });
        const facts = await readRegistrationFacts(client, chain.contracts.LoanLedger.address, lender);
        const token = chain.contracts.TestToken.address as string;
        const firstDue = toIsoString(facts.now + 60n * DAY).slice(0, 10);
        const row = (k: number, principal: string, ref: string) =>
          [getAddress(keccak256(stringToHex(`register-e2e-borrower-${k}`)).slice(0, 42)), ref, token, principal, "700", "480", "CN", "equal-principal", "6", firstDue].join(",");
        const ref = (k: number) => keccak256(stringToHex(`register-e2e-${facts.now}-${k}`));
        const bad = [COLUMNS, row(1, "-5", ref(1)), row(2, "2500000000", "0x12"), row(3, "3000000000", ref(3))].join("\n") + "\n";
        const good = [COLUMNS, row(4, "1500000000", ref(4)), row(5, "2500000000", ref(5))].join("\n") + "\n";
        const expected = parseLoanFile("bad.csv", bad, facts).problems.map(formatRowProblem);
        expect(expected).to.have.length(2);

        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await injectWallet(page, rpcUrl, lender);
        await page.goto(`${api}/`);
        await page.click("button[data-role=lender]");
        await page.click("nav a[href='/register']");
        await page.waitForSelector(".dropzone input[type=file]");

        await dropFile(page, "bad.csv", bad);
        await page.waitForSelector(".problems li");
        expect(await problemLines(page)).to.deep.equal(expected);
        expect(await page.$("button.primary")).to.equal(null); // nothing to sign while the file has problems

        await page.setInputFiles(".dropzone input[type=file]", { name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
        await page.waitForSelector("#preview-title[data-count='2']");
        expect(await page.$$eval("[data-total]", (tds) => tds.map((td) => td.getAttribute("data-total")))).to.deep.equal(["4000000000"]);
        expect(await page.$$eval("tr[data-line] [data-principal]", (tds) => tds.map((td) => td.getAttribute("data-principal")))).to.deep.equal(["1500000000", "2500000000"]);
        await page.click("button.primary");
        await page.waitForSelector(".registered li[data-loan]", { timeout: 90_000 });
        const ids = await page.$$eval(".registered li[data-loan]", (lis) => lis.map((li) => li.getAttribute("data-loan")!));
        expect(ids).to.have.length(2);
        const rpc = (await page.evaluate("window.__rpc")) as string[];
        expect(rpc.indexOf("eth_estimateGas"), "estimated before sending").to.be.within(0, rpc.indexOf("eth_sendTransaction"));
        expect(rpc.filter((m) => m === "eth_sendTransaction")).to.have.length(1);
        const steps = (await page.evaluate("window.__steps")) as string[];
        expect(steps).to.include.members(["confirm", "pending", "indexing"]);
        expect(steps.indexOf("pending")).to.be.lessThan(steps.indexOf("indexing"));
        for (const [k, id] of ids.entries()) {
          const loan = await get(`/v1/loans/${id}`, "lender");
          expect(loan.status, `loan ${id}`).to.equal(200);
          expect(loan.body.principal).to.equal(["1500000000", "2500000000"][k]);
          expect(getAddress(loan.body.lender)).to.equal(lender);
          expect(await page.$(`.registered a[href='/loans/${id}']`), `link to loan ${id}`).to.not.equal(null);
        }
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "lender-register-en");

        await page.setViewportSize({ width: 390, height: 844 });
        await page.click("header button[lang=zh-CN]");
        await dropFile(page, "bad.csv", bad);
        await page.waitForSelector(".problems li");
        expect(await problemLines(page)).to.deep.equal(expected);
        expect(await page.textContent(".problems p")).to.include("个问题");
        expect(await seriousViolations(page), "axe: serious or critical (zh)").to.deep.equal([]);
        await screenshot(page, "lender-register-zh");
      } finally {
        await browser.close();
      }
    });
  });
}
