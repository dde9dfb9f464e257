/** src/notify/notice-locale.ts: a notice's language and legal texts follow the loan's jurisdiction by default. */
import { expect } from "chai";
import { noticeLocale } from "../../src/notify/notice-locale";

describe("notify/notice-locale", function () {
  const contact = { language: "en", jurisdiction: "US-CA" };

  it("takes the notice's language, else the contact's, with the contact's jurisdiction", function () {
    expect(noticeLocale({ notice: { language: "zh-CN" }, contact, loan: { jurisdiction: "CN" } })).to.deep.equal({ language: "zh-CN", jurisdiction: "US-CA" });
    expect(noticeLocale({ notice: { language: null }, contact, loan: { jurisdiction: "CN" } })).to.deep.equal({ language: "en", jurisdiction: "US-CA" });
  });

  it("without a contact (a webhook copy), the loan's jurisdiction and its language", function () {
    expect(noticeLocale({ notice: { language: null }, contact: undefined, loan: { jurisdiction: "CN" } })).to.deep.equal({ language: "zh-CN", jurisdiction: "CN" });
    expect(noticeLocale({ notice: { language: null }, contact: undefined, loan: { jurisdiction: "GB-SCT" } })).to.deep.equal({ language: "en", jurisdiction: "GB-SCT" });
    // A jurisdiction with no built-in profile: English, and its own code for the legal texts (the default ones where it has none).
    expect(noticeLocale({ notice: { language: null }, contact: undefined, loan: { jurisdiction: "FR" } })).to.deep.equal({ language: "en", jurisdiction: "FR" });
  });
});
