/**
 * Providers' answers may quote what they refused ("550 5.1.1 <wang.fang@example.cn>: Recipient
 * address rejected", "The 'To' number +8613800138000 is not a valid phone number"). A channel's
 * error carries the provider's reason so that an operator sees why a notice failed; this takes
 * the contact points out of it first, since errors are logged and stored as a notice's reason.
 */
import type { ContactPoints } from "../../pii/contact";

const MAX_REASON = 200;
const EMAIL_LIKE = /[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/g;
// A + and 7 to 15 digits (spaces or dashes between), or 8 or more digits in a row: phone numbers, not IPs or SMTP codes (5.1.1).
const PHONE_LIKE = /\+\d[\d -]{5,18}\d|\b\d{8,15}\b/g;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `text` with the given contact points, and anything shaped like an email address or a phone
 * number, replaced by a placeholder; control characters flattened and the result cut at 200
 * characters.
 */
export function redactContact(text: string, to: ContactPoints = {}): string {
  let out = text.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, " ");
  const exact: string[] = [];
  if (to.email) exact.push(to.email);
  if (to.phone) exact.push(to.phone, to.phone.replace(/^\+/, ""));
  // An address's lines one by one (a provider may quote one line); very short lines (a house number) would blank out unrelated text.
  if (to.postalAddress) exact.push(...to.postalAddress.split("\n").map((l) => l.trim()).filter((l) => l.length >= 4));
  for (const s of exact.sort((a, b) => b.length - a.length)) out = out.replace(new RegExp(escape(s), "gi"), "<contact>");
  out = out.replace(EMAIL_LIKE, "<address>").replace(PHONE_LIKE, "<number>").trim();
  return out.length > MAX_REASON ? `${out.slice(0, MAX_REASON - 1)}…` : out;
}
