import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../platform/errors.js";
import { sendError } from "./error-handler.js";
import type { HttpsApp } from "./types.js";

/**
 * Serves the built React app. Hashed assets are immutable; index.html is never cached so a new
 * release is picked up at once. Unknown GET paths that want HTML get the app (client-side routes);
 * everything else unknown is a JSON 404.
 */
export async function registerWebApp(app: HttpsApp, webRoot: string | null): Promise<void> {
  const hasApp = webRoot !== null && existsSync(path.join(webRoot, "index.html"));
  if (hasApp) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: "/",
      wildcard: false,
      index: ["index.html"],
      dotfiles: "deny",
      setHeaders(res, filePath) {
        res.header(
          "cache-control",
          filePath.includes(`${path.sep}assets${path.sep}`)
            ? "public, max-age=31536000, immutable"
            : "no-cache",
        );
      },
    });
  }
  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const wantsHtml = (request.headers.accept ?? "").includes("text/html");
    const isAppPath = !request.url.startsWith("/api/") && !request.url.startsWith("/.well-known/");
    if (hasApp && (request.method === "GET" || request.method === "HEAD") && wantsHtml && isAppPath) {
      return reply.header("cache-control", "no-cache").sendFile("index.html");
    }
    return sendError(request, reply, new AppError("NOT_FOUND"));
  });
}
