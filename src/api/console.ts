/**
 * The web console (console/, built into CONSOLE_DIR) served by the API itself: hashed assets under
 * /assets cached for a year, and index.html — never cached, so a new build is picked up at once — for
 * every other GET that asks for HTML outside the API's own paths (the console routes in the
 * browser). The console uses the public API only. In the demo, GET /demo/tokens hands the role
 * picker the demo's tokens (DEMO_TOKENS_FILE); without that setting the route does not exist.
 */
import fs from "node:fs";
import path from "node:path";
import express, { type Express } from "express";
import type { ApiOptions } from "./context";

/** Paths the API answers itself: never the console's index.html. */
const API_PATHS = /^\/(v1|openapi\.json|docs|metrics|healthz|readyz|assets|demo)(\/|$)/;

/** What the console's page may load: itself, and any RPC node the auditor names for verification. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' http: https:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

export function registerConsole(app: Express, options: Pick<ApiOptions, "consoleDir" | "demoTokensFile">): void {
  if (options.demoTokensFile) {
    const file = options.demoTokensFile;
    app.get("/demo/tokens", (_req, res, next) => {
      fs.readFile(file, "utf8", (err, text) => {
        // Not written yet (the demo writes it once its tokens are issued): 404 like any unknown path.
        if (err) return (err as NodeJS.ErrnoException).code === "ENOENT" ? next() : next(err);
        res.set("Cache-Control", "no-store").type("json").send(text);
      });
    });
  }
  const dir = options.consoleDir;
  if (!dir || !fs.existsSync(path.join(dir, "index.html"))) return;
  const index = path.resolve(dir, "index.html");
  app.use("/assets", express.static(path.join(dir, "assets"), { immutable: true, maxAge: "365d", index: false, fallthrough: true }));
  app.get(/.*/, (req, res, next) => {
    if (API_PATHS.test(req.path) || !req.accepts("html")) return next();
    res.set({ "Cache-Control": "no-cache", "Content-Security-Policy": CONSOLE_CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" });
    res.sendFile(index, (err) => err && next(err));
  });
}
