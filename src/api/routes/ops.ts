import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { UnavailableError } from "../services/errors";
import { z } from "../openapi";
import { route } from "../route";

const Health = z.object({ status: z.literal("ok") }).openapi("Health");
const Ready = z
  .object({ status: z.literal("ready"), indexedBlock: z.number().int(), chainHead: z.number().int().nullable(), lagBlocks: z.number().int().nullable() })
  .openapi("Ready");

/** Liveness and readiness. /readyz is 503 while the indexer is further behind the chain head than maxLagBlocks. */
export function registerOpsRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices, onLag: (lag: number) => void): void {
  route(
    router,
    registry,
    { method: "get", path: "/healthz", summary: "Liveness", tags: ["operations"], auth: false, request: {}, responses: { 200: { description: "Alive", schema: Health } } },
    async () => ({ status: "ok" as const }),
  );
  route(
    router,
    registry,
    {
      method: "get",
      path: "/readyz",
      summary: "Readiness",
      description: "503 problem+json until the indexer has indexed a block, and while it lags the chain head by more than the configured bound.",
      tags: ["operations"],
      auth: false,
      request: {},
      responses: { 200: { description: "Ready", schema: Ready }, 503: { description: "Not ready" } },
    },
    async () => {
      const c = await services.db.selectFrom("cursor").select("block_number").where("id", "=", 1).executeTakeFirst();
      if (!c) throw new UnavailableError("the indexer has not indexed any block yet");
      let head: number | null = null;
      if (services.chain) {
        try {
          head = Number(await services.chain.client.getBlockNumber({ cacheTime: 1_000 }));
        } catch {
          throw new UnavailableError("the chain's RPC endpoint does not answer");
        }
      }
      const lag = head === null ? null : Math.max(0, head - c.block_number);
      if (lag !== null) onLag(lag);
      if (lag !== null && lag > services.options.maxLagBlocks) {
        throw new UnavailableError(`the indexer is ${lag} blocks behind the chain head (bound ${services.options.maxLagBlocks})`);
      }
      return { status: "ready" as const, indexedBlock: c.block_number, chainHead: head, lagBlocks: lag };
    },
  );
}
