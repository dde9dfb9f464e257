/**
 * Live updates from GET /v1/stream: one fetch-based reader (EventSource cannot send the bearer
 * token, and the token never goes in a URL) that refreshes the queries an event touches. It resumes
 * after the last event id on reconnect, and stops on `end` (token expired or revoked).
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { currentToken } from "./session";

interface StreamEvent {
  event: string;
  id?: string;
  data: string;
}

/** One event of the stream (see GET /v1/stream): the contract event, where it is, and its arguments. */
export interface LiveEvent {
  id: string;
  loanId: string;
  type: string;
  block: number;
  txHash: string;
  args: Record<string, unknown>;
}

/** Splits a text/event-stream buffer into complete messages; returns them and the unfinished rest. */
export function parseSse(buffer: string): { messages: StreamEvent[]; rest: string } {
  const messages: StreamEvent[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    const m: StreamEvent = { event: "message", data: "" };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "event") m.event = value;
      else if (field === "id") m.id = value;
      else if (field === "data") data.push(value);
    }
    m.data = data.join("\n");
    if (data.length || m.id) messages.push(m);
  }
  return { messages, rest };
}

/**
 * Follows the stream (one loan's events when `loanId` is given) and invalidates what changed: the
 * loan, its timeline, notices, evidence and contact window, and the queue and loan lists. Returns
 * whether the stream is connected.
 */
export function useLiveUpdates(loanId?: string, onEvent?: (e: LiveEvent) => void): boolean {
  const queries = useQueryClient();
  const [live, setLive] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const stop = new AbortController();
    let lastId: string | undefined;
    let pending: Set<string> | null = null;
    const flush = () => {
      const loans = pending!;
      pending = null;
      for (const id of loans) {
        for (const key of ["loan", "timeline", "notices", "contact-window", "evidence"]) void queries.invalidateQueries({ queryKey: [key, id] });
      }
      void queries.invalidateQueries({ queryKey: ["queue"] });
      void queries.invalidateQueries({ queryKey: ["loans"] });
    };
    const touched = (id: string) => {
      if (!pending) {
        pending = new Set();
        setTimeout(flush, 250); // one refresh per burst of events (a block holds many)
      }
      pending.add(id);
    };
    const run = async () => {
      for (let attempt = 0; !stop.signal.aborted; attempt++) {
        try {
          const query = new URLSearchParams(loanId ? { loanId } : {});
          const res = await fetch(`/v1/stream?${query}`, {
            headers: { Authorization: `Bearer ${currentToken() ?? ""}`, ...(lastId ? { "Last-Event-ID": lastId } : {}) },
            signal: stop.signal,
          });
          if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const { messages, rest } = parseSse(buffer + value);
            buffer = rest;
            for (const m of messages) {
              if (m.event === "ready") {
                attempt = 0;
                setLive(true);
              } else if (m.event === "end") {
                setLive(false);
                return;
              } else if (m.id) {
                lastId = m.id;
                const e = JSON.parse(m.data) as LiveEvent;
                if (e.loanId) touched(e.loanId);
                handler.current?.(e);
              }
            }
          }
        } catch {
          if (stop.signal.aborted) return;
        }
        setLive(false);
        await new Promise((r) => setTimeout(r, Math.min(30_000, 1_000 * 2 ** attempt)));
      }
    };
    void run();
    return () => stop.abort();
  }, [loanId, queries]);
  return live;
}
