import { AsyncLocalStorage } from "node:async_hooks";

/** What a request leaves behind for code it calls, without every service taking it as an argument. */
export interface RequestContext {
  requestId: string;
  /** The client's network (IPv4 /24, IPv6 /48), never its address: sign-in audit entries carry it. */
  network?: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Makes `context` current for the rest of the asynchronous flow started here (a Fastify onRequest hook:
 * the handler and everything it awaits run inside it). enterWith rather than run() because hooks cannot
 * wrap the remainder of the request in a callback.
 */
export function enterRequestContext(context: RequestContext): void {
  storage.enterWith(context);
}

/** Runs `fn` with `context` current (tests, jobs started on behalf of a request). */
export function withRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The network the current request came from, or undefined outside a request. */
export function currentNetwork(): string | undefined {
  return storage.getStore()?.network ?? undefined;
}

/** The request being served, or undefined outside one (CLI, scheduled jobs). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
