/**
 * Masked contact points (src/pii/mask.ts): what an assigned collector sees instead of an email
 * address or a phone number. The mask keeps too little to reach the borrower: never the whole
 * local part, domain or number.
 */
import { expect } from "chai";
import fc from "fast-check";
import { email as emailSchema } from "../../src/pii/contact";
import { maskEmail, maskPhone } from "../../src/pii/mask";

describe("pii/mask", function () {
  it("email: first letter of the local part and of the domain, and the top-level domain", function () {
    expect(maskEmail("jane.doe@example.com")).to.equal("j***@e***.com");
    expect(maskEmail("wang.fang+loans@mail.example.com.cn")).to.equal("w***@m***.cn");
    expect(maskEmail("张伟@例子.中国")).to.equal("张***@例***.中国");
  });

  it("phone: the last four digits; a short number shows fewer, never all of it", function () {
    expect(maskPhone("+8613912345678")).to.equal("***5678");
    expect(maskPhone("+14155550123")).to.equal("***0123");
    expect(maskPhone("+1234567")).to.equal("***567");
    expect(maskPhone("+12")).to.equal("***");
  });

  it("a valid email's local part and domain, and a valid phone's digits, never appear whole in the mask (random)", function () {
    const local = fc.stringMatching(/^[a-z0-9._+-]{2,20}$/);
    const label = fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(local, label, label, (l, d, tld) => {
        const address = `${l}@${d}.${tld}`;
        if (!emailSchema.safeParse(address).success) return;
        const m = maskEmail(address);
        expect(m).not.to.include(address);
        expect(m).not.to.include(`${l}@`);
        expect(m).not.to.include(`@${d}`);
      }),
      { numRuns: 300, seed: 5 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{1,14}$/), (digits) => {
        const m = maskPhone(`+${digits}`);
        expect(m.replace(/\D/g, "").length).to.be.at.most(Math.max(0, Math.min(4, digits.length - 4)));
        expect(m).not.to.include(digits);
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});
