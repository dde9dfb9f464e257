/**
 * The OpenAPI document without a running API: every route module registers its operations into a
 * fresh registry with stand-in services (route handlers are never called, so none is needed). The console's typed
 * client is generated from it (console/README.md), so a change to the API that breaks the console
 * fails the console's type check.
 */
import { Router } from "express";
import type { ApiOptions, ApiServices } from "./context";
import { PROTECTED_ROUTES } from "./app";
import { createRegistry, openApiDocument } from "./openapi";
import { apiOptionsOf } from "./server";
import { loadConfig } from "../config";
import { DuetrailError } from "../errors";
import { registerAuthRoutes } from "./routes/auth";
import { registerOpsRoutes } from "./routes/ops";
import { registerSmsReceiptRoutes } from "./routes/sms-receipts";

/** A route module used a service while registering (a programming error; fatal). */
export class OpenApiDocumentError extends DuetrailError {
  override name = "OpenApiDocumentError";
}

/** A stand-in for the services: any property is another stand-in; calling one throws (no handler runs here). */
function inert(path: string): unknown {
  return new Proxy(() => undefined, {
    get: (_t, key) => (key === "then" || typeof key === "symbol" ? undefined : inert(`${path}.${key}`)),
    apply: () => {
      throw new OpenApiDocumentError(`building the OpenAPI document called ${path}(): route modules must only use services in their handlers`);
    },
  });
}

/** The document of an API with `options` (descriptions quote some limits): the default configuration's unless given. */
export function apiDocument(options: ApiOptions = apiOptionsOf(loadConfig({}, {}))): ReturnType<typeof openApiDocument> {
  const registry = createRegistry();
  // Route modules read some options while registering; every other service is a stand-in.
  const services = new Proxy(inert("services") as ApiServices, { get: (t, key) => (key === "options" ? options : Reflect.get(t, key)) });
  const router = Router();
  registerOpsRoutes(router, registry, services, () => undefined);
  registerAuthRoutes(router, registry, services);
  registerSmsReceiptRoutes(router, registry, services);
  for (const register of PROTECTED_ROUTES) register(router, registry, services);
  return openApiDocument(registry);
}
