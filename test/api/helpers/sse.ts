/**
 * A minimal server-sent-events client over fetch for the stream tests: parses messages and
 * comments as they arrive, waits for conditions, and disconnects by aborting.
 */
export interface SseMessage {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

export interface SseClient {
  status: number;
  contentType: string | null;
  /** The problem+json body of an error answer. */
  problem?: Record<string, unknown>;
  messages: SseMessage[];
  comments: string[];
  /** Messages other than `ready` (the streamed chain events). */
  events(): SseMessage[];
  waitFor(what: string, done: (c: SseClient) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
  /** Resolves when the server ended the response (or the client aborted). */
  ended: Promise<void>;
}

export async function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const messages: SseMessage[] = [];
  // An error answer is a plain problem+json body, read whole for the caller to inspect.
  const problem = res.ok ? undefined : ((await res.json()) as Record<string, unknown>);
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  let buffer = "";
  const parse = (block: string) => {
    let id: string | undefined;
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim());
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length) messages.push({ id, event, data: JSON.parse(data.join("\n")) as Record<string, unknown> });
  };
  const ended = (async () => {
    if (!res.body || problem) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf("\n\n")) >= 0) {
          parse(buffer.slice(0, i));
          buffer = buffer.slice(i + 2);
        }
        notify();
      }
    } catch {
      // aborted
    }
    notify();
  })();
  const client: SseClient = {
    status: res.status,
    contentType: res.headers.get("content-type"),
    problem,
    messages,
    comments,
    events: () => messages.filter((m) => m.event !== "ready"),
    waitFor(what, done, timeoutMs = 20_000) {
      if (done(client)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (done(client)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; got ${messages.length} messages: ${JSON.stringify(messages.map((m) => [m.event, m.id])).slice(0, 2000)}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () => abort.abort(),
    ended,
  };
  return client;
}
