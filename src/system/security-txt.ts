import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Config } from "../config/config.js";
import { originOf } from "../http/origin.js";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";

export interface SecurityTxtDeps {
  config: Pick<Config, "security" | "publicUrl">;
  clock: Clock;
}

/** Development default only: production requires an explicit expiry (see the production guard). */
const DEFAULT_EXPIRY_MS = 180 * MS.day;

/** RFC 9116 security.txt. Expiry is the configured date, or (development) a rolling 180 days. */
export function renderSecurityTxt(deps: SecurityTxtDeps, origin: string): string {
  const expires = deps.config.security.txtExpires
    ? new Date(deps.config.security.txtExpires)
    : new Date(deps.clock.now().getTime() + DEFAULT_EXPIRY_MS);
  const lines = [
    `Contact: ${deps.config.security.contact}`,
    `Expires: ${expires.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    "Preferred-Languages: en",
    `Canonical: ${origin}/.well-known/security.txt`,
  ];
  return `${lines.join("\n")}\n`;
}

export function securityTxtRoutes(deps: SecurityTxtDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/.well-known/security.txt",
      {
        config: { permission: "public" },
        schema: {
          summary: "How to report a security issue (RFC 9116)",
          tags: ["system"],
          produces: ["text/plain"],
          response: { 200: z.string().max(4096) },
        },
      },
      async (request, reply) => {
        const origin = originOf(deps.config.publicUrl, request.headers.host);
        return reply
          .type("text/plain; charset=utf-8")
          .header("cache-control", "public, max-age=3600")
          .send(renderSecurityTxt(deps, origin));
      },
    );
  };
}
