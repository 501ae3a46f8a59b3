import selfsigned from "selfsigned";

let cached: Promise<{ cert: string; key: string }> | null = null;

/** One throwaway EC certificate per test process (localhost, 127.0.0.1, ::1). */
export function testCertificate(): Promise<{ cert: string; key: string }> {
  cached ??= selfsigned
    .generate([{ name: "commonName", value: "localhost" }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      extensions: [
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
          ],
        },
      ],
    })
    .then((pems) => ({ cert: pems.cert, key: pems.private }));
  return cached;
}
