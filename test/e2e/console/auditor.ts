/**
 * The console's auditor path in a real browser: a loan's trail verified in the browser against the
 * chain through the demo node's RPC URL (the shown head equals trailOf read here with viem), the
 * evidence bundle downloaded through the page (equal to the CLI's export at its block), then one
 * indexed action altered in the demo's database: the badge says NOT valid at that action's seq.
 */
import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import Database from "better-sqlite3";
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { collectionLogAbi } from "../../../src/chain/abis";
import { loadDeployment } from "../../../src/chain/deployments";
import { buildEvidenceBundle } from "../../../src/evidence/bundle";
import { actionHash, genesisHead, nextHead, recomputeTrail } from "../../../src/domain/trail";
import { recordedActions } from "../../../console/src/lib/trail";
import { launchBrowser, screenshot, seriousViolations } from "../../support/browser";
import type { DemoContext } from "./context";

export function auditorConsole(demo: DemoContext) {
  describe("console: auditor", function () {
    it("auditor verifies a trail and sees a tampered one fail, in English and Chinese; downloads the CLI's bundle", async function () {
      const { api, rpcUrl, get } = demo;
      const deployment = loadDeployment("localhost", demo.deploymentsDir);
      const client = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
      // A loan with at least two actions, so the altered one (seq 2) has an untouched one before it.
      const loans = (await get("/v1/loans?limit=500", "auditor")).body.items as { loanId: string }[];
      // And one with leaves in the seed's batch (uploaded by the demo's batch test before the console's).
      let loanId = "";
      let batched: { loanId: string; batches: number } | undefined;
      for (const l of loans) {
        const { actions, batches } = (await get(`/v1/loans/${l.loanId}/evidence`, "auditor")).body;
        if (!loanId && actions.length >= 2) loanId = l.loanId;
        if (!batched && batches.length > 0) batched = { loanId: l.loanId, batches: batches.length };
        if (loanId && batched) break;
      }
      expect(loanId, "a demo loan with two actions").to.not.equal("");
      expect(batched, "a demo loan in an uploaded batch").to.not.equal(undefined);
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      const db = new Database(path.join(demo.dataDir, "duetrail.db"));
      db.pragma("busy_timeout = 10000");
      const row = db.prepare("SELECT outcome, head FROM actions WHERE loan_id = ? AND seq = 2").get(Number(loanId)) as { outcome: number; head: string };
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
        await page.goto(`${api}/`);
        await page.click("button[data-role=auditor]");
        await page.waitForSelector("table tbody tr");
        await page.goto(`${api}/loans/${loanId}`);
        await page.click("text=Evidence and trail");
        await page.waitForSelector(".badge");
        expect(page.url()).to.equal(`${api}/loans/${loanId}/audit`);
        // Without an RPC URL: the events only, and the page says the chain was not consulted.
        expect(await page.getAttribute(".badge", "data-source")).to.equal("events");
        expect(await page.textContent(".badge .source")).to.include("The chain was not consulted");

        // Not a URL: said so, nothing read. A node that does not answer: said so, the events' verdict still shown.
        await page.fill("#rpc-url", "not a url");
        await page.click("form.rpc button[type=submit]");
        expect(await page.textContent("#rpc-invalid")).to.include("http://");
        const closed = `http://127.0.0.1:${await closedPort()}`;
        await page.fill("#rpc-url", closed);
        await page.click("form.rpc button[type=submit]");
        await page.waitForSelector("#rpc-error");
        expect(await page.textContent("#rpc-error")).to.include(`cannot reach ${closed}`);
        expect(await page.getAttribute(".badge", "data-source")).to.equal("events");
        await page.fill("#rpc-url", rpcUrl);
        await page.click("form.rpc button[type=submit]");
        await page.waitForSelector(".badge[data-source=chain]");
        const block = BigInt((await page.getAttribute(".badge", "data-block"))!);
        const [head, count] = await client.readContract({ address: deployment.collectionLog.address, abi: collectionLogAbi, functionName: "trailOf", args: [BigInt(loanId)], blockNumber: block });
        expect(await page.getAttribute(".badge", "data-valid")).to.equal("true");
        expect(await page.getAttribute(".badge", "data-head")).to.equal(head.toLowerCase());
        const verdict = (await page.textContent(".badge .verdict"))!;
        expect(verdict).to.include("Trail valid").and.include(head.toLowerCase()).and.include(`at block ${block}`).and.include(`${count} action`);
        expect(await page.$$eval("table.actions tbody tr", (trs) => trs.length)).to.equal(Number(count));
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "auditor-trail-valid-en");

        // The bundle through the page: the CLI's own export at the block it was read at, byte for byte.
        const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=Download evidence bundle")]);
        expect(download.suggestedFilename()).to.equal(`loan-${loanId}-evidence.json`);
        const text = fs.readFileSync((await download.path())!, "utf8");
        const bundle = JSON.parse(text);
        expect(bundle.format).to.equal("duetrail-evidence-bundle/2");
        expect(bundle.verification.valid).to.equal(true);
        const cli = await buildEvidenceBundle(client, deployment, BigInt(loanId), { block: BigInt(bundle.asOf.blockNumber) });
        expect(text).to.equal(`${JSON.stringify(cli.bundle, null, 2)}\n`);

        // The batched loan: every leaf proven in the browser, every root equal to CollectionLog.batchRoot through the RPC URL.
        await page.goto(`${api}/loans/${batched!.loanId}/audit`);
        await page.waitForSelector("table.batches tbody tr[data-root-on-chain]");
        const rows = await page.$$eval("table.batches tbody tr", (trs) => trs.map((tr) => [tr.getAttribute("data-proven"), tr.getAttribute("data-root-on-chain")]));
        expect(rows).to.deep.equal(Array.from({ length: batched!.batches }, () => ["true", "true"]));
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "auditor-batches-en");
        await page.goto(`${api}/loans/${loanId}/audit`);

        // Tamper: the indexed action 2 now says another outcome (its event's head is left as the chain has it).
        // GET /v1/loans/{id}/evidence is not in the per-block response cache (it reads trailOf), so a reload shows the change.
        db.prepare("UPDATE actions SET outcome = ? WHERE loan_id = ? AND seq = 2").run((row.outcome + 1) % 65_536, Number(loanId));
        const served = (await get(`/v1/loans/${loanId}/evidence`, "auditor")).body;
        expect(served.actions[1].outcome).to.equal((row.outcome + 1) % 65_536);
        const c = (await get("/v1/chain", "auditor")).body;
        const recomputed = recomputeTrail(c.chainId, c.contracts.CollectionLog.address as Address, BigInt(loanId), recordedActions(loanId, served.actions));
        expect(recomputed.problems[0]).to.include({ kind: "head-mismatch", seq: 2n });
        const binding = [c.chainId, c.contracts.CollectionLog.address as Address] as const;
        const [first, second] = recordedActions(loanId, served.actions);
        const got = nextHead(nextHead(genesisHead(...binding, BigInt(loanId)), actionHash(first!)), actionHash(second!));

        await page.click("header button[lang=zh-CN]");
        await page.reload();
        await page.waitForSelector(".badge[data-source=chain]");
        expect(await page.getAttribute("html", "lang")).to.equal("zh-CN");
        expect(await page.getAttribute(".badge", "data-valid")).to.equal("false");
        expect(await page.getAttribute(".badge", "data-seq")).to.equal("2");
        expect(await page.textContent(".badge .verdict")).to.equal(`记录链无效：首个不一致位于行动序号 2：应为 ${row.head.toLowerCase()}，实为 ${got}`);
        expect(await page.getAttribute("table.actions tbody tr.mismatch", "data-seq")).to.equal("2");
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await screenshot(page, "auditor-trail-tampered-zh");
        await page.setViewportSize({ width: 390, height: 844 });
        await screenshot(page, "auditor-trail-tampered-zh-phone");
      } finally {
        db.prepare("UPDATE actions SET outcome = ? WHERE loan_id = ? AND seq = 2").run(row.outcome, Number(loanId));
        db.close();
        await browser.close();
      }
      // Restored: the server's own check passes again.
      expect((await get(`/v1/loans/${loanId}/evidence`, "auditor")).body.verification.valid).to.equal(true);
    });

    it("shows a loan's relief as the API serves it: the seed's holiday in force, its arrears plan part by part and its settlement, in English and Chinese", async function () {
      const { api, get } = demo;
      const loans = (await get("/v1/loans?limit=500", "auditor")).body.items as { loanId: string }[];
      let holiday: { loanId: string; relief: any } | undefined;
      let settled: { loanId: string; relief: any } | undefined;
      let planned: { loanId: string; relief: any } | undefined;
      for (const l of loans) {
        const d = (await get(`/v1/loans/${l.loanId}`, "auditor")).body;
        if (!holiday && d.relief.holiday) holiday = { loanId: l.loanId, relief: d.relief };
        if (!settled && d.relief.settlement) settled = { loanId: l.loanId, relief: d.relief };
        if (!planned && d.relief.arrearsPlan) planned = { loanId: l.loanId, relief: d.relief };
      }
      expect(holiday, "the seed grants a payment holiday").to.not.equal(undefined);
      expect(settled, "the seed settles a loan").to.not.equal(undefined);
      expect(planned, "the seed agrees an arrears plan").to.not.equal(undefined);
      const browser = await launchBrowser(this.test!.fullTitle());
      if (!browser) return this.skip();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(`${api}/`);
        await page.click("button[data-role=auditor]");
        await page.waitForSelector("table tbody tr");
        await page.goto(`${api}/loans/${holiday!.loanId}`);
        await page.waitForSelector("[data-relief=holiday]");
        expect(await page.getAttribute("[data-relief=holiday]", "data-in-force")).to.equal(String(holiday!.relief.holiday.inForce));
        expect(await page.textContent("[data-relief=holiday]")).to.include(`${holiday!.relief.holiday.installments} installment`);
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await page.goto(`${api}/loans/${planned!.loanId}`);
        await page.waitForSelector("[data-relief=arrears-plan]");
        expect(await page.getAttribute("[data-relief=arrears-plan]", "data-status")).to.equal(planned!.relief.arrearsPlan.status);
        expect(await page.$$eval("[data-relief=arrears-plan] li", (items) => items.map((i) => i.getAttribute("data-outcome")))).to.deep.equal(
          planned!.relief.arrearsPlan.parts.map((p: { outcome: string }) => p.outcome),
        );
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
        await page.goto(`${api}/loans/${settled!.loanId}`);
        await page.waitForSelector("[data-relief=settled]");
        await page.click("header button[lang=zh-CN]");
        await page.waitForSelector("html[lang=zh-CN]");
        expect(await page.textContent("#relief-title")).to.equal("纾困安排");
        expect(await page.textContent("[data-relief=settled]")).to.include("减免");
        expect(await seriousViolations(page), "axe: serious or critical").to.deep.equal([]);
      } finally {
        await browser.close();
      }
    });
  });
}

/** A local port nothing listens on (one the OS just handed out and was closed again). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
