import type { CallOptions, SpApiCaller, SpApiRequest } from "../operation-spec.js";

/**
 * Application Management rotateApplicationClientSecret (grantless). Amazon answers 204 and delivers the new
 * secret only through the APPLICATION_OAUTH_CLIENT_NEW_SECRET notification. Never retried on 5xx: a second
 * rotation would replace the secret the first one announced.
 */
export function rotateApplicationClientSecretRequest(): SpApiRequest<undefined> {
  return {
    operation: "rotateApplicationClientSecret",
    method: "POST",
    path: "/applications/2023-11-30/clientSecret",
    response: null,
    retryServerErrors: false,
  };
}

export async function rotateApplicationClientSecret(
  client: SpApiCaller,
  options?: CallOptions,
): Promise<void> {
  await client.call(null, rotateApplicationClientSecretRequest(), options);
}
