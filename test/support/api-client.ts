import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";

/** A raw HTTPS client with the admin kubeconfig's credentials, for requests kubectl would not send. */
export interface ApiClient {
  request(
    method: string,
    path: string,
    options?: { body?: string | Uint8Array; contentType?: string; accept?: string },
  ): Promise<Response>;
}

export async function apiClient(kubeconfig: string, url: string): Promise<ApiClient> {
  const config = parseYaml(await readFile(kubeconfig, "utf8"));
  const user = config.users[0].user;
  const decode = (value: string) => Buffer.from(value, "base64").toString("utf8");
  const tls = {
    ca: decode(config.clusters[0].cluster["certificate-authority-data"]),
    cert: decode(user["client-certificate-data"]),
    key: decode(user["client-key-data"]),
  };
  return {
    request(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.contentType) headers["content-type"] = options.contentType;
      if (options.accept) headers.accept = options.accept;
      return fetch(`${url}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: options.body } : {}),
        tls,
      } as RequestInit);
    },
  };
}
