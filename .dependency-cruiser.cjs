/**
 * The arrows of ../shared/DESIGN.md as rules. Each rule names the promise it protects; rules for
 * modules that do not exist yet already hold, so the first file that breaks them fails CI.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Cycles make start-up order and testing by parts impossible.",
      from: {},
      to: { circular: true },
    },
    {
      name: "sandbox-is-independent",
      severity: "error",
      comment: "The SP-API simulator shares no code with src/ (it must behave like Amazon, not like us).",
      from: { path: "^sandbox/" },
      to: { path: "^src/" },
    },
    {
      name: "src-does-not-import-sandbox",
      severity: "error",
      comment: "Production code reaches the sandbox only over HTTP, exactly like Amazon.",
      from: { path: "^src/" },
      to: { path: "^sandbox/" },
    },
    {
      name: "no-test-code-in-src",
      severity: "error",
      comment: "No test-only branches or helpers in shipped code.",
      from: { path: "^src/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(test|bench)/|\\.test\\.ts$" },
    },
    {
      name: "web-shares-no-server-code",
      severity: "error",
      comment: "The browser bundle talks to the server over its HTTP API only.",
      from: { path: "^web/" },
      to: { path: "^(src|sandbox)/" },
    },
    {
      name: "platform-is-a-leaf",
      severity: "error",
      comment: "Clock, logger, errors and ids are used by everything and depend on nothing of ours.",
      from: { path: "^src/platform/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(?!platform/)" },
    },
    {
      name: "config-depends-only-on-platform",
      severity: "error",
      comment: "Configuration is parsed first; it cannot depend on what it configures.",
      from: { path: "^src/config/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(?!config/|platform/)" },
    },
    {
      name: "crypto-below-storage-and-http",
      severity: "error",
      comment: "Keys and ciphers know nothing of stores, HTTP or features.",
      from: { path: "^src/crypto/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(?!crypto/|config/|platform/)" },
    },
    {
      name: "db-below-features",
      severity: "error",
      comment: "The store layer knows tables, not features or HTTP.",
      from: { path: "^src/db/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(?!db/|config/|crypto/|platform/)" },
    },
    {
      name: "http-plumbing-has-no-features",
      severity: "error",
      comment:
        "src/http holds Fastify plugins; routes live in their feature module and import http, not the reverse.",
      from: { path: "^src/http/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(?!http/|config/|platform/)" },
    },
    {
      name: "only-amazon-speaks-http-to-amazon",
      severity: "error",
      comment:
        "Rule 4: every SP-API/LWA call goes through src/amazon (one client: tokens, rate limits, audit).",
      from: { path: "^src/", pathNot: "^src/amazon/" },
      to: {
        path: "^(undici|node-fetch|axios|got|ky|@sp-api-sdk/|amazon-sp-api)",
        dependencyTypes: ["npm", "npm-dev"],
      },
    },
    {
      name: "only-secrets-reads-secret-values",
      severity: "error",
      comment:
        "Credentials live in the vault; only src/secrets touches its tables (runtime.ts wires it). Others get a SecretsStore.",
      from: { path: "^src/", pathNot: ["^src/secrets/", "^src/runtime\\.ts$", "\\.test\\.ts$"] },
      to: { path: "^src/secrets/vault-schema\\.ts$" },
    },
    {
      name: "only-crypto-and-vault-touch-the-keystore",
      severity: "error",
      comment:
        "Data keys are unwrapped in src/crypto only; the vault opens the keystore, protection/ and backup/ rotate through crypto.",
      from: { path: "^src/", pathNot: ["^src/(crypto|secrets|protection|backup)/", "\\.test\\.ts$"] },
      to: { path: "^src/crypto/keystore-schema\\.ts$" },
    },
    {
      name: "one-door-to-amazon-information",
      severity: "error",
      comment: "Rule 1: only src/access (and the sync writers) reach the Amazon-data repositories.",
      from: { path: "^src/", pathNot: "^src/(access|sync|retention)/" },
      to: { path: "^src/(sync|access)/.*-repo\\.ts$" },
    },
    {
      name: "access-layer-below-http",
      severity: "error",
      comment:
        "src/access decides who may do what; routes and jobs import it, never the reverse (it must not depend on HTTP plumbing).",
      from: { path: "^src/access/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/http/" },
    },
    {
      name: "only-audit-writes-the-audit-log",
      comment:
        "Audit tables are written only through src/audit's repository (appends, retention); everyone else records through an AuditSink.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/audit/", "\\.test\\.ts$"] },
      to: { path: "^src/audit/audit-repo\\.ts$" },
    },
    {
      name: "audit-below-features",
      severity: "error",
      comment:
        "The audit log knows stores, keys and the clock, never features or HTTP (every feature depends on it).",
      from: { path: "^src/audit/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(?!audit/|db/|crypto/|platform/|config/)" },
    },
    {
      name: "no-orphans",
      severity: "warn",
      comment: "A module nothing imports is dead code or a missing wire-up.",
      from: {
        orphan: true,
        pathNot: [
          "\\.(test|e2e\\.test)\\.ts$",
          "\\.d\\.ts$",
          "^src/main\\.ts$",
          "^sandbox/main\\.ts$",
          "(^|/)vite\\.config\\.ts$",
          "^bench/run\\.ts$",
          "^web/src/main\\.tsx$",
        ],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
      extensions: [".ts", ".tsx", ".js"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
