/**
 * Hollow nodes for end-to-end tests of scheduling and workload controllers:
 * `kubun hollow` joined to a test cluster with a fresh bootstrap token. Pods
 * bound to a hollow node turn Running and Ready at once.
 */
import type { TestCluster } from "./cluster.ts";
import { KubunProcess, runKubun } from "./kubun-process.ts";

export interface JoinCommand {
  server: string;
  token: string;
  hash: string;
}

/** `kubun token create` on a server, and the parts of the join command it prints. */
export async function createJoinToken(cluster: Pick<TestCluster, "dataDir">): Promise<JoinCommand> {
  const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
  const match = /--server (\S+) --token (\S+) --ca-cert-hash (\S+)/.exec(created.stdout);
  if (!match) throw new Error(`kubun token create printed ${created.stdout}${created.stderr}`);
  return { server: match[1] ?? "", token: match[2] ?? "", hash: match[3] ?? "" };
}

export interface HollowOptions {
  count: number;
  /** Node names are `<prefix><index>`; default "hollow-". */
  namePrefix?: string;
  firstIndex?: number;
  /** Extra labels for every node, `k=v,…`. */
  labels?: string;
  maxPods?: number;
  /** More API servers (an HA trio) the nodes fail over to. */
  moreServers?: string[];
}

/** Starts hollow nodes and waits until all are registered; stop them with `stopHollow`. */
export async function startHollow(
  cluster: Pick<TestCluster, "dataDir">,
  options: HollowOptions,
): Promise<KubunProcess> {
  const join = await createJoinToken(cluster);
  const process = new KubunProcess([
    "hollow",
    "--count",
    String(options.count),
    "--server",
    join.server,
    "--token",
    join.token,
    "--ca-cert-hash",
    join.hash,
    "--name-prefix",
    options.namePrefix ?? "hollow-",
    "--first-index",
    String(options.firstIndex ?? 0),
    ...(options.labels ? ["--node-labels", options.labels] : []),
    ...(options.maxPods ? ["--max-pods", String(options.maxPods)] : []),
    ...(options.moreServers ?? []).flatMap((server) => ["--server", server]),
  ]);
  await process.waitFor(new RegExp(`ready: ${options.count} hollow nodes`));
  return process;
}

export async function stopHollow(process: KubunProcess | undefined): Promise<void> {
  if (!process) return;
  process.kill("SIGTERM");
  await process.exited();
}
