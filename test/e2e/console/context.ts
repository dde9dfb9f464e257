import type { Page } from "playwright-core";
import { getAddress, type Address } from "viem";

/**
 * What the console's browser tests get from the demo that test/e2e/demo.test.ts starts once for all
 * of them: its URLs, data folder, demo tokens, and a GET on the API as a role.
 */
export interface DemoContext {
  readonly api: string;
  readonly rpcUrl: string;
  readonly dataDir: string;
  readonly deploymentsDir: string;
  readonly tokens: Record<string, string>;
  get(path: string, role?: string): Promise<{ status: number; body: any }>;
}

/** Polls `read` until it returns `want` (deep-equal as JSON) or 10 s pass; returns the last value read. */
export async function settle<T>(read: () => Promise<T>, want: T): Promise<T> {
  let last = await read();
  for (let i = 0; i < 100 && JSON.stringify(last) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

/** The address a bearer token names (its payload's `sub`), as the console's sign-in reads it. */
export const subjectOf = (token: string): Address => getAddress(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")).sub);

/**
 * Before any page script: `window.ethereum` forwarding to the node (eth_requestAccounts answers the
 * account, whose key the node holds), and a record of every method asked and every progress step shown.
 * Injected through the DevTools protocol, so the console's CSP does not apply to it.
 */
export async function injectWallet(page: Page, rpcUrl: string, account: string): Promise<void> {
  // Page-side JavaScript, as text: this project's type check has no DOM library.
  await page.addInitScript(`(() => {
    const rpcUrl = ${JSON.stringify(rpcUrl)};
    const account = ${JSON.stringify(account)};
    window.__rpc = [];
    window.__steps = [];
    let id = 0;
    window.ethereum = {
      async request({ method, params }) {
        window.__rpc.push(method);
        if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
        const res = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }) });
        const body = await res.json();
        if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
        return body.result;
      },
    };
    new MutationObserver(() => {
      const step = document.querySelector(".progress")?.getAttribute("data-step");
      if (step && window.__steps.at(-1) !== step) window.__steps.push(step);
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-step"] });
  })()`);
}

/** Drops `text` as a file named `name` on the page's drop zone, as a drag from the desktop does. */
export async function dropFile(page: Page, name: string, text: string, type = "text/csv"): Promise<void> {
  const dataTransfer = await page.evaluateHandle(`(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([${JSON.stringify(text)}], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
    return dt;
  })()`);
  await page.dispatchEvent(".dropzone", "drop", { dataTransfer });
}
