import { existsSync, readdirSync } from "node:fs";
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
 *
 * The static plugin only decorates reply.sendFile: each file present at start-up gets its own route here,
 * declared public like every route must be (the plugin's generated routes could not carry a declaration).
 * Dotfiles and anything not on disk at start-up are never routed.
 */
export async function registerWebApp(app: HttpsApp, webRoot: string | null): Promise<void> {
  const hasApp = webRoot !== null && existsSync(path.join(webRoot, "index.html"));
  if (hasApp) {
    await app.register(fastifyStatic, {
      root: webRoot,
      serve: false,
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
    const root = webRoot;
    for (const file of publicFiles(root)) {
      const serve = async (_request: FastifyRequest, reply: FastifyReply) => reply.sendFile(file, root);
      app.get(`/${file}`, { config: { permission: "public" }, schema: { hide: true } }, serve);
      if (file === "index.html")
        app.get("/", { config: { permission: "public" }, schema: { hide: true } }, serve);
    }
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

/** Files under the root as URL paths (forward slashes), skipping anything with a dot-segment. */
function publicFiles(root: string): string[] {
  const entries = readdirSync(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep))
    .filter((parts) => parts.every((p) => !p.startsWith(".")))
    .map((parts) => parts.join("/"))
    .sort();
}
