import pino, { type Logger } from "pino";

/** Structured JSON logs on stdout (pino); one logger per process, passed to whoever needs it. */
export function createLogger(level: string, name = "duetrail"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 1, sync: false }));
}
