import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../client/api-client.ts";
import { loadKubeConfig } from "../client/kube-config.ts";

export function defaultDataDir(): string {
  return userInfo().uid === 0 ? "/var/lib/kubun" : join(homedir(), ".kubun");
}

export const clientFlags = {
  "data-dir": {
    type: "string",
    description: "the server's data directory (its admin.kubeconfig is used)",
    default: defaultDataDir(),
  },
  kubeconfig: { type: "string", description: "kubeconfig to use instead of the data directory's" },
} as const;

/** An API client with the admin credentials a local server wrote, or the given kubeconfig's. */
export async function adminClient(flags: {
  "data-dir"?: string | undefined;
  kubeconfig?: string | undefined;
}): Promise<ApiClient> {
  const path = flags.kubeconfig ?? join(flags["data-dir"] ?? defaultDataDir(), "admin.kubeconfig");
  try {
    return new ApiClient(await loadKubeConfig(path));
  } catch (error) {
    throw new Error(
      `cannot read ${path} (${(error as Error).message}); run this on a server, pass --data-dir, or pass --kubeconfig`,
    );
  }
}
