/**
 * POST /v1/notify/sms-receipts on SQLite and PostgreSQL: a receipt signed under
 * SMS_RECEIPT_SECRET settles its SMS notice once (delivered or failed, due for recording on chain);
 * an unsigned, tampered, other-key or stale receipt is 401 and changes nothing; without the secret
 * the endpoint is 503.
 */
import { expect } from "chai";
import { signReceipt, RECEIPT_SIGNATURE_HEADER } from "../../src/notify/channels/sms";
import { NoticeOutcome } from "../../src/notify/outcomes";
import { apiFixture, describeEachDialect, TEST_SMS_RECEIPT_SECRET, type ApiFixture } from "./fixture";
import { insertNotices, noticeRow } from "./helpers/notices";

describeEachDialect("api/sms-receipts", (dialect) => {
  let f: ApiFixture;
  let ids: string[];

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const rows = [
      await noticeRow(f, 1, 101, { channel: "sms", status: "sent", provider_id: "SM-one", record_state: null, outcome: null, delivered_at: null }),
      await noticeRow(f, 1, 102, { channel: "sms", status: "sent", provider_id: "SM-two", record_state: null, outcome: null, delivered_at: null }),
    ];
    await insertNotices(f, rows);
    ids = rows.map((r) => r.id);
  });
  after(() => f?.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${f.url}/v1/notify/sms-receipts`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const now = () => Math.floor(Date.now() / 1000);
  const row = (id: string) => f.db.selectFrom("notices").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

  it("a signed delivered receipt settles its notice once, due for recording as delivered", async function () {
    const body = JSON.stringify({ MessageSid: "SM-one", MessageStatus: "delivered", ClientReference: ids[0] });
    const res = await post(body, { [RECEIPT_SIGNATURE_HEADER]: signReceipt(body, TEST_SMS_RECEIPT_SECRET, now()) });
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(await res.json()).to.deep.equal({ applied: true });
    const r = await row(ids[0]);
    expect([r.status, r.outcome, r.record_state]).to.deep.equal(["delivered", NoticeOutcome.Delivered, "due"]);
    expect(r.delivered_at).to.be.a("number");
    const again = await post(body, { [RECEIPT_SIGNATURE_HEADER]: signReceipt(body, TEST_SMS_RECEIPT_SECRET, now()) });
    expect(await again.json()).to.deep.equal({ applied: false });
  });

  it("unsigned, tampered, other-key and stale receipts are 401 problems and change nothing", async function () {
    const body = JSON.stringify({ MessageSid: "SM-two", MessageStatus: "failed", ClientReference: ids[1], ErrorCode: "30003" });
    const cases: Record<string, string>[] = [
      {},
      { [RECEIPT_SIGNATURE_HEADER]: signReceipt(body.replace("failed", "delivered"), TEST_SMS_RECEIPT_SECRET, now()) },
      { [RECEIPT_SIGNATURE_HEADER]: signReceipt(body, "another-secret-of-at-least-32-characters!", now()) },
      { [RECEIPT_SIGNATURE_HEADER]: signReceipt(body, TEST_SMS_RECEIPT_SECRET, now() - 3_600) },
    ];
    for (const headers of cases) {
      const res = await post(body, headers);
      expect(res.status).to.equal(401);
      expect(res.headers.get("content-type")).to.match(/application\/problem\+json/);
    }
    expect((await row(ids[1])).status).to.equal("sent");
    const ok = await post(body, { [RECEIPT_SIGNATURE_HEADER]: signReceipt(body, TEST_SMS_RECEIPT_SECRET, now()) });
    expect(await ok.json()).to.deep.equal({ applied: true });
    const r = await row(ids[1]);
    expect([r.status, r.outcome, r.record_state]).to.deep.equal(["failed", NoticeOutcome.Failed, "due"]);
    expect(r.reason).to.equal("provider reported failure (30003)");
  });

  it("503 when receipts are not configured", async function () {
    const secret = f.services.options.smsReceiptSecret;
    f.services.options.smsReceiptSecret = undefined;
    try {
      const res = await post("{}", {});
      expect(res.status).to.equal(503);
    } finally {
      f.services.options.smsReceiptSecret = secret;
    }
  });
});
