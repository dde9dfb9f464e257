/**
 * The contact record's fields (src/pii/contact.ts): what each accepts, in what canonical form it
 * keeps it, and what it refuses, with messages that never quote the value.
 */
import { expect } from "chai";
import { contactRowSchema, email, jurisdiction, languageTag, phoneE164, timeZone, toContact } from "../../src/pii/contact";

const ok = <T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, v: unknown) => {
  const r = schema.safeParse(v);
  expect(r.success, String(v)).to.equal(true);
  return r.data as T;
};
const bad = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, v: string) => {
  const r = schema.safeParse(v);
  expect(r.success, v).to.equal(false);
  // A value long enough to be personal is never quoted back.
  if (v.length >= 6) expect(r.error!.issues[0]!.message, v).not.to.include(v);
};

describe("pii/contact fields", function () {
  it("email: ordinary addresses, not display names, spaces or missing domains", function () {
    for (const v of ["a@b.cn", "wang.fang+loans@mail.example.com.cn", "x_y-z@sub-domain.example.org"]) ok(email, v);
    for (const v of ["plain", "a@b", "a b@c.cn", "Wang <w@x.cn>", "a@-b.cn", "@x.cn", `${"a".repeat(65)}@x.cn`]) bad(email, v);
  });

  it("phone: E.164 only", function () {
    ok(phoneE164, "+8613912345678");
    ok(phoneE164, "+14155550123");
    for (const v of ["13800001111", "+0123456", "+86 139 1234 5678", "+1234567890123456", "+86-139"]) bad(phoneE164, v);
  });

  it("language: BCP 47, kept in canonical case", function () {
    expect(ok(languageTag, "zh-cn")).to.equal("zh-CN");
    expect(ok(languageTag, "EN")).to.equal("en");
    expect(ok(languageTag, "zh-Hans-CN")).to.equal("zh-Hans-CN");
    for (const v of ["zh_CN", "chinese", "e", "en-"]) bad(languageTag, v);
  });

  it("time zone: IANA names Intl knows; offsets and made-up zones refused", function () {
    for (const v of ["Asia/Shanghai", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+8"]) expect(ok(timeZone, v)).to.equal(v);
    for (const v of ["+08:00", "UTC+8", "Mars/Olympus_Mons", "Asia/Peking", ""]) bad(timeZone, v);
  });

  it("jurisdiction: ISO 3166 country, optionally a subdivision; not regions that are no country", function () {
    expect(ok(jurisdiction, "cn-gd")).to.equal("CN-GD");
    for (const v of ["CN", "US-CA", "HK", "DE"]) ok(jurisdiction, v);
    for (const v of ["China", "XX", "ZZ", "EU", "UN", "C", "CN-GUAN"]) bad(jurisdiction, v);
  });

  it("consent: closed by default, each needs its contact point (webhook needs none)", function () {
    const base = { borrowerRef: `0x${"ab".repeat(32)}`, language: "en", timeZone: "UTC", jurisdiction: "GB" };
    const none = toContact(contactRowSchema.parse(base));
    expect(none.contact.consent).to.deep.equal({ sms: false, email: false, letter: false, webhook: false });
    expect(none.problems).to.deep.equal([]);
    const missing = toContact(contactRowSchema.parse({ ...base, consentSms: "yes", consentEmail: true, consentLetter: "1", consentWebhook: "true" }));
    expect(missing.problems).to.deep.equal([
      { field: "consentSms", message: "is true but phone is missing" },
      { field: "consentEmail", message: "is true but email is missing" },
      { field: "consentLetter", message: "is true but postalAddress is missing" },
    ]);
    expect(contactRowSchema.safeParse({ ...base, consentSms: "maybe" }).success).to.equal(false);
  });
});
