/**
 * How the indexer waits at the tip for the next block: a poll interval, cut short when the node
 * announces a new head over WebSocket (`eth_subscribe` newHeads, RPC_WS_URL). Polling stays the
 * fallback: a subscription that fails or drops only means the wait runs its full interval, and
 * viem's WebSocket transport reconnects on its own.
 */
import type { Logger } from "pino";
import { webSocket } from "viem";
import { errorSummary } from "../../chain/rpc";

export interface HeadSignal {
  /** Resolves after `ms`, or sooner when a new head is announced (at once if one came since the last wait). */
  wait(ms: number): Promise<void>;
  /** Ends the current wait now (the indexer is stopping). */
  interrupt(): void;
  stop(): Promise<void>;
}

/** A wait of `ms` that `end` cuts short. */
function timedWait(ms: number, onEnd: () => void): { promise: Promise<void>; end: () => void } {
  let end!: () => void;
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(() => end(), ms);
    end = () => {
      clearTimeout(timer);
      onEnd();
      resolve();
    };
  });
  return { promise, end };
}

/** Polling only: every wait runs its full interval. */
export function pollingOnly(): HeadSignal {
  let current: (() => void) | undefined;
  return {
    wait(ms) {
      const w = timedWait(ms, () => (current = undefined));
      current = w.end;
      return w.promise;
    },
    interrupt: () => current?.(),
    stop: async () => current?.(),
  };
}

/** Waits cut short by newHeads notifications from `wsUrl`; a lost subscription is tried again every `retryMs`. */
export function subscribeHeads(wsUrl: string, logger: Logger, retryMs = 5_000): HeadSignal {
  let pending = false;
  let wake: (() => void) | undefined;
  let stopped = false;
  let failing = false;
  let retry: NodeJS.Timeout | undefined;
  let close: (() => void) | undefined;

  const onHead = () => {
    if (wake) wake();
    else pending = true;
  };
  const fail = (err: unknown) => {
    if (stopped) return;
    // Said once per outage: the poll interval keeps the indexer going meanwhile.
    if (!failing) logger.warn({ ws: wsUrl, err: errorSummary(err), retryMs }, "newHeads subscription failed; polling until it is back");
    failing = true;
    const closing = close;
    close = undefined; // closing the socket reports the close here again
    closing?.();
    if (!stopped && !retry) retry = setTimeout(() => ((retry = undefined), void connect()), retryMs);
  };
  // viem's own reconnection gives up after 5 tries; this one keeps trying while the indexer runs.
  const connect = async () => {
    if (stopped) return;
    const transport = webSocket(wsUrl, { keepAlive: true, reconnect: false })({});
    try {
      const client = await transport.value!.getRpcClient();
      close = () => client.close();
      if (stopped) return close();
      await transport.value!.subscribe({ params: ["newHeads"], onData: onHead, onError: fail });
      logger.info({ ws: wsUrl }, failing ? "newHeads subscription is back" : "following new heads over WebSocket (eth_subscribe newHeads), polling as the fallback");
      failing = false;
    } catch (err) {
      fail(err);
    }
  };
  void connect();

  return {
    wait(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      const w = timedWait(ms, () => {
        wake = undefined;
        pending = false;
      });
      wake = w.end;
      return w.promise;
    },
    interrupt: () => wake?.(),
    async stop() {
      stopped = true;
      clearTimeout(retry);
      wake?.();
      const closing = close;
      close = undefined;
      closing?.();
    },
  };
}
