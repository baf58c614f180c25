import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadKubeConfig } from "../client/kube-config.ts";
import { buildKubeconfig } from "../tls/kubeconfig.ts";
import { readLocalCa } from "../tls/pki-files.ts";
import { clientFlags } from "./admin-client.ts";
import { parseFlags } from "./args.ts";
import { parseDurationSeconds } from "./durations.ts";

export const kubeconfigFlags = {
  "data-dir": clientFlags["data-dir"],
  user: { type: "string", description: "user name (the certificate's CN)" },
  group: {
    type: "string",
    multiple: true,
    description: "group (the certificate's O; repeatable), e.g. system:masters",
  },
  server: {
    type: "string",
    multiple: true,
    description:
      "API server URL (default: the admin kubeconfig's); repeat for each server of an HA trio: one context per server",
  },
  output: { type: "string", short: "o", description: "file to write (default: stdout)" },
  validity: { type: "string", description: "certificate lifetime", default: "8760h" },
} as const;

/**
 * `kubun kubeconfig --user NAME [--group G]…`: issues a client certificate
 * signed by the cluster CA now (no CSR round trip: for administrators on a
 * server) and writes a kubeconfig with it.
 */
export async function runKubeconfig(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, kubeconfigFlags);
  if (!flags.user) throw new Error("--user is required: kubun kubeconfig --user NAME [--group G]…");
  const dataDir = flags["data-dir"] ?? "";
  const ca = await readLocalCa(join(dataDir, "tls"));
  if (!ca) {
    throw new Error(
      `no cluster CA in ${join(dataDir, "tls")}: run this on a server, or pass its --data-dir`,
    );
  }
  const [server, ...moreServers] = flags.server.length
    ? flags.server
    : [(await loadKubeConfig(join(dataDir, "admin.kubeconfig"))).server];
  const validityDays = parseDurationSeconds("validity", flags.validity ?? "8760h") / 86400;
  const issued = await ca.issue({
    commonName: flags.user,
    organizations: flags.group,
    usages: ["clientAuth"],
    validityDays,
  });
  const text = buildKubeconfig({
    server: server ?? "",
    moreServers,
    caPem: ca.certPem,
    userName: flags.user,
    clientCertPem: issued.certPem,
    clientKeyPem: issued.keyPem ?? "",
  });
  if (!flags.output) {
    process.stdout.write(text);
    return 0;
  }
  await writeFile(flags.output, text, { mode: 0o600 });
  process.stderr.write(`wrote ${flags.output} for user "${flags.user}"\n`);
  return 0;
}
