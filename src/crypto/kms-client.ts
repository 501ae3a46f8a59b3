import { KMSClient } from "@aws-sdk/client-kms";
import type { KmsConfig } from "../config/config.js";

/** One KMS client per process; region and credentials follow the AWS SDK's usual chain unless configured. */
export function createKmsClient(config: KmsConfig): KMSClient {
  return new KMSClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 3,
  });
}
