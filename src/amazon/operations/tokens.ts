import { z } from "zod";
import {
  type CallOptions,
  type RestrictedResource,
  type SpApiCaller,
  type SpApiRequest,
  text,
} from "../operation-spec.js";

export const restrictedDataTokenSchema = z.object({
  restrictedDataToken: text(8_000).min(1),
  expiresIn: z.number().int().positive().max(86_400),
});
export type RestrictedDataTokenResponse = z.infer<typeof restrictedDataTokenSchema>;

/** Tokens 2021-03-01 createRestrictedDataToken for one resource. */
export function createRestrictedDataTokenRequest(
  resources: readonly RestrictedResource[],
): SpApiRequest<RestrictedDataTokenResponse> {
  return {
    operation: "createRestrictedDataToken",
    method: "POST",
    path: "/tokens/2021-03-01/restrictedDataToken",
    body: {
      restrictedResources: resources.map((r) => ({
        method: r.method,
        path: r.path,
        ...(r.dataElements && r.dataElements.length > 0 ? { dataElements: [...r.dataElements] } : {}),
      })),
    },
    response: restrictedDataTokenSchema,
  };
}

export function createRestrictedDataToken(
  client: SpApiCaller,
  accountId: string,
  resources: readonly RestrictedResource[],
  options?: CallOptions,
): Promise<RestrictedDataTokenResponse> {
  return client.call(accountId, createRestrictedDataTokenRequest(resources), options);
}
