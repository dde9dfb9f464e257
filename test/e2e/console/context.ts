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
