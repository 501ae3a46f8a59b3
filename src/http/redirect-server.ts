import http from "node:http";
import type { Logger } from "../platform/logger.js";
import { originOf } from "./origin.js";

export interface RedirectServerOptions {
  publicUrl: string | null;
  httpsPort: number;
  logger: Logger;
}

/**
 * The only plaintext listener there is: every request is answered 308 to the same path over HTTPS,
 * nothing is read from the body and nothing else is served.
 */
export function createRedirectServer(options: RedirectServerOptions): http.Server {
  const server = http.createServer((req, res) => {
    const path = typeof req.url === "string" && req.url.startsWith("/") ? req.url : "/";
    const target = `${originOf(options.publicUrl, req.headers.host, options.httpsPort)}${path}`;
    res.writeHead(308, {
      location: target,
      "content-length": "0",
      "cache-control": "no-store",
      connection: "close",
    });
    res.end();
    req.resume();
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.on("clientError", (_err, socket) => {
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  server.on("error", (err) => options.logger.error({ err }, "redirect listener failed"));
  return server;
}
