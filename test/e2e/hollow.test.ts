import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gitVersion } from "../../src/version.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { KubunProcess, runKubun } from "../support/kubun-process.ts";

const HOLLOW_COUNT = 200;

interface JoinCommand {
  server: string;
  token: string;
  hash: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface NodeJson {
  metadata: { name: string; uid: string; labels: Record<string, string> };
  spec: { taints?: { key: string; value?: string; effect: string }[] };
  status: {
    conditions: Condition[];
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    addresses: { type: string; address: string }[];
    nodeInfo: Record<string, string>;
    daemonEndpoints: { kubeletEndpoint: { Port: number } };
  };
}

interface LeaseJson {
  metadata: { name: string; ownerReferences?: { kind: string; name: string; uid: string }[] };
  spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
}

let cluster: TestCluster;
let fleetJoin: JoinCommand;
const processes: KubunProcess[] = [];
const dirs: string[] = [];

/** `kubun token create`, and the parts of the join command it prints. */
async function createToken(): Promise<JoinCommand> {
  const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
  const match = /--server (\S+) --token (\S+) --ca-cert-hash (\S+)/.exec(created.stdout);
  if (!match) throw new Error(`kubun token create printed ${created.stdout}${created.stderr}`);
  return { server: match[1] ?? "", token: match[2] ?? "", hash: match[3] ?? "" };
}

beforeAll(async () => {
  cluster = await startCluster();
  fleetJoin = await createToken();
});

afterAll(async () => {
  for (const process of processes) {
    process.kill("SIGTERM");
    await process.exited();
  }
  await cluster?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Polls `check` until it returns a value (bounded); the last failure explains a timeout. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  attempts = 60,
  intervalMs = 500,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.ok([...args, "-o", "json"])) as T;
}

const ready = (node: NodeJson) =>
  node.status.conditions.find((c) => c.type === "Ready")?.status === "True";

function start(args: string[]): KubunProcess {
  const process = new KubunProcess(args);
  processes.push(process);
  return process;
}

async function stopProcess(process: KubunProcess): Promise<number | null> {
  process.kill("SIGTERM");
  const code = await process.exited();
  processes.splice(processes.indexOf(process), 1);
  return code;
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

describe(`kubun hollow --count ${HOLLOW_COUNT}`, () => {
  let hollow: KubunProcess;

  beforeAll(async () => {
    hollow = start([
      "hollow",
      "--count",
      String(HOLLOW_COUNT),
      "--server",
      fleetJoin.server,
      "--token",
      fleetJoin.token,
      "--ca-cert-hash",
      fleetJoin.hash,
    ]);
    await hollow.waitFor(new RegExp(`ready: ${HOLLOW_COUNT} hollow nodes`));
  });

  test("every node is registered and Ready", async () => {
    const nodes = await getJson<{ items: NodeJson[] }>([
      "get",
      "nodes",
      "-l",
      "kubun.io/hollow=true",
    ]);
    expect(nodes.items).toHaveLength(HOLLOW_COUNT);
    expect(nodes.items.filter(ready)).toHaveLength(HOLLOW_COUNT);
    const names = new Set(nodes.items.map((node) => node.metadata.name));
    for (let i = 0; i < HOLLOW_COUNT; i++) expect(names.has(`hollow-${i}`)).toBe(true);
    const ips = new Set(
      nodes.items.map((n) => n.status.addresses.find((a) => a.type === "InternalIP")?.address),
    );
    expect(ips.size).toBe(HOLLOW_COUNT);
    const sample = nodes.items.find((node) => node.metadata.name === "hollow-7");
    expect(sample?.metadata.labels["kubernetes.io/hostname"]).toBe("hollow-7");
    expect(sample?.status.capacity.pods).toBe("110");
    expect(sample?.status.nodeInfo.containerRuntimeVersion).toMatch(/^hollow:\/\//);
    const line = /ready: .*/.exec(hollow.stdout)?.[0];
    const rss = await rssKiB(hollow.pid);
    console.log(`hollow (${HOLLOW_COUNT} nodes): ${line}; VmRSS now ${Math.round(rss / 1024)} MiB`);
  });

  test("every node holds its own Lease, and the Leases are renewed", async () => {
    const read = async () => {
      const leases = await getJson<{ items: LeaseJson[] }>([
        "get",
        "leases",
        "-n",
        "kube-node-lease",
      ]);
      return new Map(
        leases.items
          .filter((lease) => lease.metadata.name.startsWith("hollow-"))
          .map((lease) => [lease.metadata.name, lease]),
      );
    };
    const first = await read();
    expect(first.size).toBe(HOLLOW_COUNT);
    const nodes = await getJson<{ items: NodeJson[] }>([
      "get",
      "nodes",
      "-l",
      "kubun.io/hollow=true",
    ]);
    const uids = new Map(nodes.items.map((node) => [node.metadata.name, node.metadata.uid]));
    for (const [name, lease] of first) {
      expect(lease.spec.holderIdentity).toBe(name);
      expect(lease.spec.leaseDurationSeconds).toBe(40);
      expect(lease.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: "Node", name, uid: uids.get(name) }),
      ]);
    }
    // Renewed every 10 s, each at its own offset: within ~20 s all have moved on.
    await until(
      "every hollow Lease to be renewed",
      async () => {
        const now = await read();
        const stale = [...first].filter(
          ([name, lease]) => now.get(name)?.spec.renewTime === lease.spec.renewTime,
        );
        return stale.length === 0 ? true : undefined;
      },
      60,
      1000,
    );
  });

  test("a pod bound to a hollow node runs at once and goes away when deleted", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "hollow-pod", namespace: "default" },
      spec: { nodeName: "hollow-7", containers: [{ name: "web", image: "nginx" }] },
    };
    await cluster.ok(["create", "-f", "-"], { input: JSON.stringify(pod) });
    interface PodJson {
      status: {
        phase?: string;
        podIP?: string;
        hostIP?: string;
        conditions?: Condition[];
        containerStatuses?: { containerID: string; ready: boolean; state: { running?: unknown } }[];
      };
    }
    const running = await until("the pod to be Running and Ready", async () => {
      const current = await getJson<PodJson>(["get", "pod", "hollow-pod"]);
      const isReady = current.status.conditions?.some(
        (c) => c.type === "Ready" && c.status === "True",
      );
      return current.status.phase === "Running" && isReady ? current : undefined;
    });
    expect(running.status.hostIP).toBe("100.64.0.8");
    expect(running.status.podIP).toMatch(/^10\.64\.7\.\d+$/);
    expect(running.status.containerStatuses?.[0]?.containerID).toMatch(/^hollow:\/\//);
    expect(running.status.containerStatuses?.[0]?.state.running).toBeDefined();
    const table = await cluster.ok(["get", "pod", "hollow-pod"]);
    expect(table).toMatch(/hollow-pod\s+1\/1\s+Running/);

    await cluster.ok(["delete", "pod", "hollow-pod", "--wait=false"]);
    await until("the pod to be deleted", async () => {
      const result = await cluster.kubectl(["get", "pod", "hollow-pod"]);
      return result.code !== 0 && /NotFound/.test(result.stderr) ? true : undefined;
    });
  });
});

describe("kubun agent", () => {
  const nodeName = "agent-e2e";
  let dataDir: string;
  /** A token of its own, so that its bootstrap requests are told apart from the hollow fleet's. */
  let agentJoin: JoinCommand;

  let agentPort = 0;
  const agentArgs = (extra: string[]) => [
    "agent",
    "--port",
    String(agentPort),
    "--node-ip",
    "127.0.0.1",
    "--server",
    agentJoin.server,
    "--ca-cert-hash",
    agentJoin.hash,
    "--name",
    nodeName,
    "--data-dir",
    dataDir,
    ...extra,
  ];

  interface CsrJson {
    metadata: { name: string };
    spec: { username: string; signerName: string };
    status: { conditions?: Condition[] };
  }

  const nodeCsrs = async () => {
    const csrs = await getJson<{ items: CsrJson[] }>(["get", "csr"]);
    const bootstrapUser = `system:bootstrap:${agentJoin.token.split(".")[0]}`;
    return csrs.items.filter(
      (csr) =>
        csr.spec.username === bootstrapUser || csr.spec.username === `system:node:${nodeName}`,
    );
  };

  beforeAll(async () => {
    agentPort = await freePort();
    agentJoin = await createToken();
    dataDir = await mkdtemp(join(tmpdir(), "kubun-agent-"));
    dirs.push(dataDir);
  });

  test("joins with a token and registers a Ready node with its labels, taints and capacity", async () => {
    expect(await nodeCsrs()).toEqual([]);
    const agent = start(
      agentArgs([
        "--token",
        agentJoin.token,
        "--node-labels",
        "example.com/rack=r1",
        "--register-with-taints",
        "dedicated=e2e:NoSchedule",
        "--max-pods",
        "50",
      ]),
    );
    await agent.waitFor(/ready: node agent-e2e/);
    expect(agent.stdout).toContain("joining…");
    expect(agent.stdout).toContain("joined the cluster as system:node:agent-e2e");
    expect(agent.stdout).toContain("node agent-e2e registered");

    const node = await getJson<NodeJson>(["get", "node", nodeName]);
    expect(ready(node)).toBe(true);
    expect(node.metadata.labels).toMatchObject({
      "kubernetes.io/hostname": nodeName,
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": process.arch === "arm64" ? "arm64" : "amd64",
      "example.com/rack": "r1",
    });
    expect(node.spec.taints).toEqual([{ key: "dedicated", value: "e2e", effect: "NoSchedule" }]);
    const memTotalKiB = /MemTotal:\s+(\d+) kB/.exec(await readFile("/proc/meminfo", "utf8"))?.[1];
    expect(node.status.capacity).toMatchObject({
      cpu: String(cpus().length),
      memory: `${memTotalKiB}Ki`,
      pods: "50",
    });
    expect(node.status.allocatable.pods).toBe("50");
    expect(
      Number(/^(\d+)/.exec(node.status.capacity["ephemeral-storage"] ?? "")?.[1]),
    ).toBeGreaterThan(0);
    expect(node.status.nodeInfo.kubeletVersion).toBe(gitVersion);
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBe(agentPort);
    expect(node.status.conditions.map((c) => c.type)).toEqual([
      "MemoryPressure",
      "DiskPressure",
      "PIDPressure",
      "Ready",
      // What the process runtime cannot do on this machine (False when nothing).
      "kubun.io/RuntimeLimitations",
    ]);

    const lease = await getJson<LeaseJson>(["get", "lease", nodeName, "-n", "kube-node-lease"]);
    expect(lease.spec.holderIdentity).toBe(nodeName);
    expect(lease.metadata.ownerReferences?.[0]?.uid).toBe(node.metadata.uid);

    // Credentials are kept owner-only.
    expect((await stat(join(dataDir, "node.kubeconfig"))).mode & 0o777).toBe(0o600);

    // The serving certificate: a kubelet-serving CSR from the node, approved for its addresses.
    const serving = await until("the serving certificate", async () => {
      const csr = (await nodeCsrs()).find(
        (c) => c.spec.signerName === "kubernetes.io/kubelet-serving",
      );
      const issued = csr?.status.conditions?.some((c) => c.type === "Approved");
      return issued && /serving certificate ready/.test(agent.stderr) ? csr : undefined;
    });
    expect(serving.spec.username).toBe(`system:node:${nodeName}`);
    expect((await stat(join(dataDir, "pki", "serving.pem"))).mode & 0o777).toBe(0o600);
    // One client certificate, one serving certificate.
    expect((await nodeCsrs()).map((csr) => csr.spec.signerName).sort()).toEqual([
      "kubernetes.io/kube-apiserver-client-kubelet",
      "kubernetes.io/kubelet-serving",
    ]);

    expect(await stopProcess(agent)).toBe(0);
  });

  test("a restart reuses the kept credentials without a token or a new CSR", async () => {
    const before = (await nodeCsrs()).map((csr) => csr.metadata.name).sort();
    const leaseBefore = await getJson<LeaseJson>([
      "get",
      "lease",
      nodeName,
      "-n",
      "kube-node-lease",
    ]);
    const agent = start(agentArgs([]));
    await agent.waitFor(/ready: node agent-e2e/);
    await agent.waitFor(/serving certificate ready/);
    expect(agent.stdout).toContain(`using the node credentials kept in ${dataDir}`);
    expect(agent.stdout).not.toContain("CertificateSigningRequest");
    expect((await nodeCsrs()).map((csr) => csr.metadata.name).sort()).toEqual(before);
    const node = await getJson<NodeJson>(["get", "node", nodeName]);
    expect(ready(node)).toBe(true);
    const leaseAfter = await getJson<LeaseJson>([
      "get",
      "lease",
      nodeName,
      "-n",
      "kube-node-lease",
    ]);
    expect(leaseAfter.spec.renewTime).not.toBe(leaseBefore.spec.renewTime);
    expect(await stopProcess(agent)).toBe(0);
  });

  test("a wrong --ca-cert-hash fails with a message that says what to do", async () => {
    const fresh = await mkdtemp(join(tmpdir(), "kubun-agent-"));
    dirs.push(fresh);
    const result = await runKubun([
      "agent",
      "--server",
      fleetJoin.server,
      "--token",
      fleetJoin.token,
      "--ca-cert-hash",
      `sha256:${"0".repeat(64)}`,
      "--name",
      "agent-wrong-hash",
      "--data-dir",
      fresh,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("node agent-wrong-hash could not start");
    expect(result.stderr).toContain(`has public key hash ${fleetJoin.hash}`);
    expect(result.stderr).toContain("check the --ca-cert-hash value");
    expect(result.stderr).toContain("`kubun token create` prints on a server has the right hash");
    expect((await cluster.kubectl(["get", "node", "agent-wrong-hash"])).code).not.toBe(0);
  });
});
