import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
} from "kysely";

/**
 * Kysely's SQLite driver guards its one connection with a mutex whose every release wakes every waiter
 * (each re-checks and waits again): with N requests queued that is O(N) work per query, and under load
 * the server spent more and more CPU per request the longer its queue grew. This hands the connection out
 * strictly first come, first served, waking exactly one waiter per release; the inner driver's own mutex
 * then never has a waiter.
 */
class FifoDriver implements Driver {
  readonly #inner: Driver;
  readonly #waiting: Array<() => void> = [];
  #held = false;

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#held = true;
    return this.#inner.acquireConnection();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection(connection);
    const next = this.#waiting.shift();
    // Ownership passes straight to the next waiter: #held stays true, so no newcomer can jump the queue.
    if (next) next();
    else this.#held = false;
  }

  /**
   * Write transactions begin IMMEDIATE: they take SQLite's write lock up front (waiting busy_timeout for it).
   * A deferred BEGIN that reads first and writes later fails at once with "database is locked" when another
   * process (a CLI command next to the server) committed in between, since its snapshot can no longer be
   * upgraded and the busy handler is not consulted. Read-only transactions stay deferred: a consistent
   * read (a backup) must not hold other processes' writers off.
   */
  beginTransaction: Driver["beginTransaction"] = async (c, s) => {
    if (s.accessMode === "read only") return this.#inner.beginTransaction(c, s);
    await c.executeQuery(CompiledQuery.raw("begin immediate"));
  };
  commitTransaction: Driver["commitTransaction"] = (c) => this.#inner.commitTransaction(c);
  rollbackTransaction: Driver["rollbackTransaction"] = (c) => this.#inner.rollbackTransaction(c);
  savepoint: NonNullable<Driver["savepoint"]> = (c, n, q) => this.#call("savepoint", c, n, q);
  rollbackToSavepoint: NonNullable<Driver["rollbackToSavepoint"]> = (c, n, q) =>
    this.#call("rollbackToSavepoint", c, n, q);
  releaseSavepoint: NonNullable<Driver["releaseSavepoint"]> = (c, n, q) =>
    this.#call("releaseSavepoint", c, n, q);

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }

  #call(
    method: "savepoint" | "rollbackToSavepoint" | "releaseSavepoint",
    ...args: Parameters<NonNullable<Driver["savepoint"]>>
  ): Promise<void> {
    const fn = this.#inner[method];
    if (!fn) throw new Error(`SQLite driver has no ${method}`);
    return fn.apply(this.#inner, args);
  }
}

export class FifoSqliteDialect extends SqliteDialect {
  constructor(config: SqliteDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new FifoDriver(super.createDriver());
  }
}
