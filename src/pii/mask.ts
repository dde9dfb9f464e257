/**
 * Masked forms of contact points, for callers who may know that a borrower can be reached and
 * roughly where (a collector checking a channel), but not the contact point itself: enough to
 * tell two addresses apart on the phone with the borrower, not enough to write to them.
 *
 *   maskEmail("jane.doe@example.com") === "j***@e***.com"
 *   maskPhone("+8613912345678")       === "***5678"
 */

/** The first character of the local part and of the domain, and the top-level domain: `j***@e***.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  // Array.from: the first code point, not half of a surrogate pair.
  const first = (s: string) => Array.from(s)[0] ?? "";
  return `${first(local)}***@${first(domain)}***${dot > 0 ? domain.slice(dot) : ""}`;
}

/**
 * The last four digits only: `***5678`. A short number shows fewer (at most all but four of its
 * digits), so the mask never gives a whole number away.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  const shown = Math.max(0, Math.min(4, digits.length - 4));
  return `***${shown > 0 ? digits.slice(-shown) : ""}`;
}
