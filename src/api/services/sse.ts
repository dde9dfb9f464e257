/**
 * One server-sent-events connection's writing side: SSE framing, and backpressure with bounds.
 * The shared poll writes to every live stream without waiting for any socket; what a client
 * has not read stays in its own buffer, and `behind` tells the hub when that buffer has grown
 * past `maxBufferedBytes` (the hub then lets that stream catch up from the database on its own).
 * A socket that does not drain within `drainTimeoutMs` is destroyed rather than buffered for.
 */
import { once } from "node:events";

/** What a stream writes to: an http.ServerResponse (express's Response), or a fake in tests. */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

export interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

/** The wire form of a message. */
export function sseFrame(m: SseMessage): string {
  return `${m.id ? `id: ${m.id}\n` : ""}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}

export interface SseWriterOptions {
  /** Bytes a client may leave unread before its stream stops being served from the shared poll. */
  maxBufferedBytes: number;
  /** A socket whose buffer does not drain within this time is closed. */
  drainTimeoutMs: number;
}

export interface SseWriter {
  /** Writes a frame (from {@link sseFrame}) or a message, without waiting. */
  send(m: SseMessage | string): void;
  /** A comment line (`: text`), e.g. a heartbeat. */
  comment(text: string): void;
  /** The client has left more than maxBufferedBytes unread. */
  readonly behind: boolean;
  /** Closed by either side (or destroyed for not draining). */
  readonly closed: boolean;
  /** Date.now() of the last write. */
  readonly lastWrite: number;
  /**
   * Resolves true at once when the socket takes more, else when it drains; false when the
   * connection closed, or did not drain within drainTimeoutMs (it is destroyed then).
   */
  drained(): Promise<boolean>;
  /** Sends a last message (if any) and ends the response. */
  end(last?: SseMessage): void;
}

export function createSseWriter(sink: SseSink, opts: SseWriterOptions): SseWriter {
  let lastWrite = Date.now();
  let gone = false;
  sink.on("close", () => (gone = true));
  const closed = () => gone || sink.destroyed || sink.writableEnded;
  const write = (chunk: string) => {
    if (closed()) return;
    sink.write(chunk);
    lastWrite = Date.now();
  };
  return {
    send: (m) => write(typeof m === "string" ? m : sseFrame(m)),
    comment: (text) => write(`: ${text}\n\n`),
    get behind() {
      return sink.writableLength > opts.maxBufferedBytes;
    },
    get closed() {
      return closed();
    },
    get lastWrite() {
      return lastWrite;
    },
    async drained() {
      if (closed()) return false;
      if (!sink.writableNeedDrain) return true;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), opts.drainTimeoutMs);
      try {
        await Promise.race([once(sink as never, "drain", { signal: abort.signal }), once(sink as never, "close", { signal: abort.signal })]);
      } catch {
        // The timeout fired: the client stopped reading.
        sink.destroy();
        return false;
      } finally {
        clearTimeout(timer);
        abort.abort();
      }
      return !closed();
    },
    end(last) {
      if (closed()) return;
      if (last) write(sseFrame(last));
      sink.end();
    },
  };
}
