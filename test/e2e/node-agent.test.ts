/**
 * The node agent end to end: one real `kubun server`, one real `kubun agent`
 * running pods as host processes (and a second agent, joined with its own
 * token, for the agent-restart and node-status tests), driven with the real
 * kubectl as a user would: logs, exec, port-forward, init containers,
 * configMap and secret volumes and env, restart back-off, probes, memory
 * limits, graceful deletion, an agent killed and restarted, node status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { agentCgroupParent, cgroupV1Mounts } from "../../src/node-agent/runtime/process/cgroups.ts";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";
import { freePort } from "../support/free-port.ts";
import { KubunProcess, runKubun } from "../support/kubun-process.ts";
import { until } from "../support/until.ts";

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason?: string; signal?: number; containerID?: string };
}

interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  containerID?: string;
}

interface PodJson {
  metadata: { name: string; uid: string };
  status: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

interface NodeJson {
  status: {
    conditions: Condition[];
    addresses: { type: string; address: string }[];
    nodeInfo: Record<string, string>;
  };
}

interface LeaseJson {
  spec: { holderIdentity: string; renewTime: string };
}

/** A node agent started by these tests. */
interface Agent {
  name: string;
  port: number;
  dataDir: string;
  token: string;
  process: KubunProcess;
}

let cluster: TestCluster;
let server = "";
let caCertHash = "";
/** The agent most tests use. */
let agent: Agent;
/** A second agent, joined with its own token (agent restart, node status). */
let second: Agent | undefined;
/** Temporary directories to remove at the end (hostPath volumes, agent data). */
const dirs: string[] = [];
/** kubectl processes started in the background, killed at the end if still there. */
const background: Subprocess[] = [];

// ---- helpers ---------------------------------------------------------------

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await cluster.ok([...args, "-o", "json"])) as T;
}

const getPod = (name: string) => getJson<PodJson>(["get", "pod", name]);

const condition = (pod: PodJson, type: string) =>
  pod.status.conditions?.find((c) => c.type === type)?.status;

const mainStatus = (pod: PodJson) => pod.status.containerStatuses?.[0];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** `kubun token create`, and the parts of the join command it prints. */
async function createToken(): Promise<{ server: string; token: string; hash: string }> {
  const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
  const match = /--server (\S+) --token (\S+) --ca-cert-hash (\S+)/.exec(created.stdout);
  if (!match) throw new Error(`kubun token create printed ${created.stdout}${created.stderr}`);
  return { server: match[1] ?? "", token: match[2] ?? "", hash: match[3] ?? "" };
}

/** `kubun agent`, joining with `token` (or reusing the kept credentials when omitted). */
async function launchAgent(
  name: string,
  port: number,
  dataDir: string,
  token?: string,
): Promise<KubunProcess> {
  const process = new KubunProcess([
    "agent",
    "--server",
    server,
    ...(token ? ["--token", token] : []),
    "--ca-cert-hash",
    caCertHash,
    "--name",
    name,
    "--data-dir",
    dataDir,
    "--port",
    String(port),
    "--node-ip",
    "127.0.0.1",
  ]);
  await process.waitFor(new RegExp(`ready: node ${name} `));
  return process;
}

async function joinAgent(name: string): Promise<Agent> {
  const join = await createToken();
  server = join.server;
  caCertHash = join.hash;
  const dataDir = await tempDir("kubun-node-agent-");
  const port = await freePort();
  const process = await launchAgent(name, port, dataDir, join.token);
  return { name, port, dataDir, token: join.token, process };
}

async function stopAgent(target: Agent): Promise<void> {
  target.process.kill("SIGTERM");
  await target.process.exited();
}

/** Applies a pod bound to `node` (the agent's by default). */
async function createPod(
  name: string,
  spec: Record<string, unknown>,
  node = agent.name,
): Promise<void> {
  const manifest = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: node, ...spec },
  };
  await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(manifest) });
}

/** A one-container pod running `script` with the busybox image's shell. */
function shellPod(
  name: string,
  script: string,
  extra: { container?: Record<string, unknown>; pod?: Record<string, unknown> } = {},
): Promise<void> {
  return createPod(name, {
    containers: [
      { name: "main", image: "busybox", command: ["sh", "-c", script], ...extra.container },
    ],
    ...extra.pod,
  });
}

async function waitForPod(
  name: string,
  what: string,
  check: (pod: PodJson) => boolean,
  timeoutMs = 60_000,
): Promise<PodJson> {
  let last: PodJson | undefined;
  try {
    return await until(
      `pod ${name}: ${what}`,
      async () => {
        last = await getPod(name);
        return check(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlast status: ${JSON.stringify(last?.status)}`);
  }
}

const runningAndReady = (name: string) =>
  waitForPod(
    name,
    "Running and Ready",
    (pod) => pod.status.phase === "Running" && condition(pod, "Ready") === "True",
  );

/** Deletes pods without waiting, then waits (bounded) until they are gone. */
async function deletePods(...names: string[]): Promise<void> {
  await cluster.ok(["delete", "pod", ...names, "--ignore-not-found", "--wait=false"]);
  await until(`pods ${names.join(", ")} to be gone`, async () => {
    const left = await cluster.ok(["get", "pods", "-o", "name"]);
    return names.some((name) => left.split("\n").includes(`pod/${name}`)) ? undefined : true;
  });
}

/** kubectl left running in the background (logs -f, port-forward), output collected. */
class BackgroundKubectl {
  stdout = "";
  stderr = "";
  private readonly child: Subprocess<"ignore", "pipe", "pipe">;
  private readonly reading: Promise<void>;

  constructor(args: string[]) {
    this.child = Bun.spawn([kubectlBinaries.v133, ...args], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dataDir },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    background.push(this.child);
    this.reading = Promise.all([
      this.collect(this.child.stdout, "stdout"),
      this.collect(this.child.stderr, "stderr"),
    ]).then(() => {});
  }

  /** Waits (bounded) until stdout matches; fails early if kubectl exits. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return until(
      `kubectl to print ${pattern}`,
      async () => {
        const match = pattern.exec(this.stdout);
        if (match) return match;
        if (this.child.exitCode !== null) {
          throw new Error(`kubectl exited (${this.child.exitCode}): ${this.stderr}${this.stdout}`);
        }
        return undefined;
      },
      timeoutMs,
      50,
    );
  }

  async stop(): Promise<void> {
    this.child.kill("SIGTERM");
    await this.child.exited;
    await this.reading;
  }

  private async collect(stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this[name] += decoder.decode(chunk, { stream: true });
  }
}

/** The pids of the agent's container supervisors still running. */
function supervisors(dataDir: string): number[] {
  const script = join(resolve(dataDir), "runtime", "bin", "supervisor.pl");
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(script)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** The agent's parent cgroup in every v1 hierarchy the runtime uses. */
function agentCgroups(dataDir: string): string[] {
  const mounts = cgroupV1Mounts(readFileSync("/proc/self/mounts", "utf8"));
  const parent = agentCgroupParent(resolve(join(dataDir, "runtime")));
  return [...new Set(Object.values(mounts))]
    .map((mount) => join(mount, parent))
    .filter((dir) => existsSync(dir));
}

/** Container cgroups (and processes in them) still under the agent's cgroups. */
function leftoverCgroups(dataDir: string): string[] {
  const left: string[] = [];
  for (const dir of agentCgroups(dataDir)) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) left.push(join(dir, entry.name));
    }
    const procs = readFileSync(join(dir, "cgroup.procs"), "utf8").trim();
    if (procs) left.push(`${dir}: ${procs.replaceAll("\n", " ")}`);
  }
  return left;
}

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

const lines = async (path: string) =>
  (await readFile(path, "utf8").catch(() => "")).split("\n").filter(Boolean).length;

// ---- the cluster and its agent ----------------------------------------------

beforeAll(async () => {
  cluster = await startCluster();
  agent = await joinAgent("node-e2e");
});

afterAll(async () => {
  for (const child of background) {
    if (child.exitCode === null) child.kill("SIGKILL");
    await child.exited;
  }
  // Stopping an agent leaves its pods running: delete them, and see them gone, first.
  if (cluster) {
    await cluster.kubectl(["delete", "pods", "--all", "-A", "--wait=false"]);
    await until(
      "every pod to be gone",
      async () =>
        (await cluster.ok(["get", "pods", "-A", "-o", "name"])).trim() === "" ? true : undefined,
      90_000,
    ).catch((error) => console.error(error));
  }
  for (const target of [agent, second]) {
    if (!target) continue;
    await stopAgent(target);
    for (const dir of agentCgroups(target.dataDir).reverse()) await rmdir(dir).catch(() => {});
  }
  await cluster?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

// ---- 1, 2: logs and exec ----------------------------------------------------

describe("a shell pod", () => {
  const loop = "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done";

  beforeAll(async () => {
    await shellPod("looper", loop);
    await runningAndReady("looper");
  });

  afterAll(async () => {
    await deletePods("looper");
  });

  test("runs, Running and Ready, on the node's IP, with its process:// container", async () => {
    const pod = await getPod("looper");
    expect(pod.status.hostIP).toBe("127.0.0.1");
    expect(pod.status.podIP).toBe("127.0.0.1");
    expect(mainStatus(pod)?.containerID).toMatch(/^process:\/\/[0-9a-f]+$/);
    expect(mainStatus(pod)?.state.running).toBeDefined();
    expect(await cluster.ok(["get", "pod", "looper"])).toMatch(/looper\s+1\/1\s+Running\s+0/);
  });

  test("kubectl logs shows its output; logs -f streams new lines", async () => {
    const logs = await until("output in kubectl logs", async () => {
      const out = await cluster.ok(["logs", "looper"]);
      return /^line 2$/m.test(out) ? out : undefined;
    });
    expect(logs.startsWith("line 0\nline 1\nline 2\n")).toBe(true);
    const seen = Math.max(...[...logs.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1])));

    const follow = new BackgroundKubectl(["logs", "-f", "looper"]);
    try {
      // A line written after the snapshot above arrives on the open stream.
      await follow.waitFor(new RegExp(`^line ${seen + 3}$`, "m"));
      expect(follow.stdout.startsWith("line 0\n")).toBe(true);
    } finally {
      await follow.stop();
    }
  });

  test("kubectl exec returns stdout, stderr and the exit code", async () => {
    const result = await cluster.kubectl([
      "exec",
      "looper",
      "--",
      "sh",
      "-c",
      "echo out; echo err >&2; exit 3",
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("out\n");
    expect(result.stderr).toContain("err\n");
    expect(result.stderr).toContain("command terminated with exit code 3");
  });

  test("kubectl exec -i passes stdin", async () => {
    const input = "hello through stdin\nsecond line\n";
    expect(await cluster.ok(["exec", "-i", "looper", "--", "cat"], { input })).toBe(input);
  });
});

test("kubectl logs --previous shows the output of the instance that crashed", async () => {
  await shellPod("crash-once", "echo before; exit 1");
  try {
    const pod = await waitForPod(
      "crash-once",
      "restarted once",
      (p) => (mainStatus(p)?.restartCount ?? 0) >= 1,
    );
    expect(mainStatus(pod)?.lastState.terminated?.exitCode).toBe(1);
    expect(await cluster.ok(["logs", "crash-once", "--previous"])).toBe("before\n");
  } finally {
    await deletePods("crash-once");
  }
});

// ---- 3: port-forward -----------------------------------------------------------

test("kubectl port-forward reaches an HTTP server in a pod", async () => {
  const port = await freePort();
  const program = `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: (req) => new Response("hello from the pod at " + new URL(req.url).pathname) });`;
  await createPod("web", {
    containers: [
      {
        name: "web",
        image: "busybox",
        command: [process.execPath, "-e", program],
        ports: [{ name: "http", containerPort: port }],
        readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 1 },
      },
    ],
  });
  let forward: BackgroundKubectl | undefined;
  try {
    await runningAndReady("web");
    forward = new BackgroundKubectl(["port-forward", "pod/web", `:${port}`]);
    const match = await forward.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/);
    expect(Number(match[2])).toBe(port);
    const response = await fetch(`http://127.0.0.1:${match[1]}/through/kubectl`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello from the pod at /through/kubectl");
    expect(forward.stdout).toContain("Handling connection for");
  } finally {
    await forward?.stop();
    await deletePods("web");
  }
});

// ---- 4: init containers -----------------------------------------------------

test("an init container holds the app back until what it waits for exists", async () => {
  const db = await tempDir("kubun-init-");
  await createPod("with-init", {
    initContainers: [
      {
        name: "wait-for-db",
        image: "busybox",
        command: ["sh", "-c", "until ls /db/dir; do sleep 0.2; done; echo db is there"],
        volumeMounts: [{ name: "db", mountPath: "/db" }],
      },
    ],
    containers: [
      { name: "app", image: "busybox", command: ["sh", "-c", "echo app started; sleep 3600"] },
    ],
    volumes: [{ name: "db", hostPath: { path: db, type: "Directory" } }],
  });
  try {
    const waiting = await waitForPod(
      "with-init",
      "its init container running",
      (pod) => pod.status.initContainerStatuses?.[0]?.state.running !== undefined,
    );
    // Seen again after the init container has been looking for a while.
    await until("the init container to have looked a few times", async () =>
      /No such file or directory[\s\S]*No such file or directory/.test(
        await cluster.ok(["logs", "with-init", "-c", "wait-for-db"]),
      )
        ? true
        : undefined,
    );
    const held = await getPod("with-init");
    for (const pod of [waiting, held]) {
      expect(pod.status.phase).toBe("Pending");
      expect(condition(pod, "Initialized")).toBe("False");
      expect(condition(pod, "Ready")).toBe("False");
      expect(mainStatus(pod)?.state.waiting?.reason).toBe("PodInitializing");
      expect(mainStatus(pod)?.state.running).toBeUndefined();
    }
    expect(await cluster.ok(["get", "pod", "with-init"])).toMatch(/with-init\s+0\/1\s+Init:0\/1/);

    await mkdir(join(db, "dir"));
    const running = await runningAndReady("with-init");
    expect(condition(running, "Initialized")).toBe("True");
    expect(running.status.initContainerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    expect(await cluster.ok(["logs", "with-init", "-c", "wait-for-db"])).toContain("db is there");
    await until("the app's output", async () =>
      (await cluster.ok(["logs", "with-init", "-c", "app"])) === "app started\n" ? true : undefined,
    );
  } finally {
    await deletePods("with-init");
  }
});

// ---- 5: configMaps and secrets ------------------------------------------------

test("configMap and secret volumes follow their objects; env comes from their keys", async () => {
  const configMap = (greeting: string) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "app-config", namespace: "default" },
    data: { greeting, color: "blue" },
  });
  const secret = (password: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "app-secret", namespace: "default" },
    stringData: { password },
  });
  await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(configMap("hello")) });
  await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(secret("s3cret")) });
  await createPod("configured", {
    containers: [
      {
        name: "main",
        image: "busybox",
        command: ["sh", "-c", "sleep 3600"],
        env: [
          {
            name: "GREETING",
            valueFrom: { configMapKeyRef: { name: "app-config", key: "greeting" } },
          },
          {
            name: "PASSWORD",
            valueFrom: { secretKeyRef: { name: "app-secret", key: "password" } },
          },
        ],
        envFrom: [
          { prefix: "CM_", configMapRef: { name: "app-config" } },
          { secretRef: { name: "app-secret" } },
        ],
        volumeMounts: [
          { name: "config", mountPath: "/etc/app/config" },
          { name: "secret", mountPath: "/etc/app/secret", readOnly: true },
        ],
      },
    ],
    volumes: [
      { name: "config", configMap: { name: "app-config" } },
      { name: "secret", secret: { secretName: "app-secret" } },
    ],
  });
  const exec = (script: string) => cluster.ok(["exec", "configured", "--", "sh", "-c", script]);
  try {
    await runningAndReady("configured");
    expect(await exec("cat /etc/app/config/greeting")).toBe("hello");
    expect(await exec("cat /etc/app/config/color")).toBe("blue");
    expect(await exec("cat /etc/app/secret/password")).toBe("s3cret");
    expect(await exec('echo "$GREETING $PASSWORD $CM_greeting $CM_color $password"')).toBe(
      "hello s3cret hello blue s3cret\n",
    );

    await cluster.ok([
      "patch",
      "configmap",
      "app-config",
      "--type=merge",
      "-p",
      JSON.stringify({ data: { greeting: "bonjour" } }),
    ]);
    await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(secret("n3w-s3cret")) });
    // The agent re-projects mounted objects every 10 s.
    await until("the new configMap content in the pod", async () =>
      (await exec("cat /etc/app/config/greeting")) === "bonjour" ? true : undefined,
    );
    await until("the new secret content in the pod", async () =>
      (await exec("cat /etc/app/secret/password")) === "n3w-s3cret" ? true : undefined,
    );
    // Environment variables are fixed when the container starts.
    expect(await exec('echo "$GREETING $PASSWORD"')).toBe("hello s3cret\n");
  } finally {
    await deletePods("configured");
    await cluster.ok(["delete", "configmap", "app-config"]);
    await cluster.ok(["delete", "secret", "app-secret"]);
  }
});

// ---- 6, 7, 8: restarts and probes ---------------------------------------------

test("a crashing container is restarted with back-off: CrashLoopBackOff, restartCount", async () => {
  await shellPod("crasher", "echo crashing; exit 1");
  try {
    // The first restart is immediate, the next one waits 10 s: CrashLoopBackOff in between.
    const backingOff = await waitForPod(
      "crasher",
      "waiting in CrashLoopBackOff",
      (pod) => mainStatus(pod)?.state.waiting?.reason === "CrashLoopBackOff",
    );
    expect(mainStatus(backingOff)?.state.waiting?.message).toMatch(
      /^back-off \d+s restarting failed container=main pod=crasher_default/,
    );
    expect(mainStatus(backingOff)?.lastState.terminated).toMatchObject({
      exitCode: 1,
      reason: "Error",
    });
    expect(backingOff.status.phase).toBe("Running");
    expect(condition(backingOff, "Ready")).toBe("False");
    await until("kubectl get pod to show CrashLoopBackOff", async () =>
      /crasher\s+0\/1\s+CrashLoopBackOff\s+\d+/.test(await cluster.ok(["get", "pod", "crasher"]))
        ? true
        : undefined,
    );
    const restarted = await waitForPod(
      "crasher",
      "restarted at least twice",
      (pod) => (mainStatus(pod)?.restartCount ?? 0) >= 2,
    );
    expect(mainStatus(restarted)?.restartCount).toBeGreaterThanOrEqual(2);
    expect(await cluster.ok(["logs", "crasher", "--previous"])).toBe("crashing\n");
  } finally {
    await deletePods("crasher");
  }
});

test("a failing liveness probe restarts a container whose process never exits", async () => {
  await shellPod("unlively", "echo started; sleep 3600", {
    container: {
      livenessProbe: {
        exec: { command: ["test", "-f", "/tmp/alive"] },
        periodSeconds: 1,
        failureThreshold: 1,
      },
    },
    pod: { terminationGracePeriodSeconds: 5 },
  });
  try {
    const pod = await waitForPod(
      "unlively",
      "restarted by its liveness probe",
      (p) => (mainStatus(p)?.restartCount ?? 0) >= 1,
    );
    // Killed by the agent's SIGTERM (128 + 15), and a new instance started in its place.
    const { lastState, containerID } = mainStatus(pod) ?? {};
    expect(lastState?.terminated).toMatchObject({ exitCode: 143, reason: "Error" });
    expect(lastState?.terminated?.containerID).toMatch(/^process:\/\//);
    expect(containerID).toMatch(/^process:\/\//);
    expect(containerID).not.toBe(lastState?.terminated?.containerID);
  } finally {
    await deletePods("unlively");
  }
});

test("a readiness probe flips the pod's Ready condition both ways", async () => {
  await shellPod("readiness", "sleep 3600", {
    container: {
      readinessProbe: { exec: { command: ["test", "-f", "/tmp/ready"] }, periodSeconds: 1 },
    },
  });
  try {
    const notReady = await waitForPod(
      "readiness",
      "Running, probed, not Ready",
      (pod) =>
        pod.status.phase === "Running" &&
        mainStatus(pod)?.started === true &&
        condition(pod, "Ready") === "False",
    );
    expect(mainStatus(notReady)?.ready).toBe(false);
    expect(await cluster.ok(["get", "pod", "readiness"])).toMatch(/readiness\s+0\/1\s+Running/);

    await cluster.ok(["exec", "readiness", "--", "touch", "/tmp/ready"]);
    const ready = await waitForPod(
      "readiness",
      "Ready",
      (pod) => condition(pod, "Ready") === "True",
    );
    expect(mainStatus(ready)?.ready).toBe(true);
    expect(condition(ready, "ContainersReady")).toBe("True");

    await cluster.ok(["exec", "readiness", "--", "rm", "/tmp/ready"]);
    const again = await waitForPod(
      "readiness",
      "not Ready again",
      (pod) => condition(pod, "Ready") === "False",
    );
    expect(mainStatus(again)?.restartCount).toBe(0);
    // The container's own files: the host's /tmp never saw them.
    expect(existsSync("/tmp/ready")).toBe(false);
  } finally {
    await deletePods("readiness");
  }
});

// ---- 9: memory limits ------------------------------------------------------------

test("a memory hog is OOMKilled under its limit (or the node says limits are not enforced)", async () => {
  const node = await getJson<NodeJson>(["get", "node", agent.name]);
  const limitations = node.status.conditions.find((c) => c.type === "kubun.io/RuntimeLimitations");
  expect(limitations).toBeDefined();
  const memoryUnlimited =
    limitations?.status === "True" && /cgroup/.test(limitations.message ?? "");
  if (memoryUnlimited) {
    // What this machine offers: the limitation is reported, not hidden.
    expect(limitations?.message).toMatch(/not enforced/);
    console.warn(`cgroups unusable here, OOM kill not tested: ${limitations?.message}`);
    return;
  }
  await shellPod("hog", "head -c 268435456 /dev/zero | tail", {
    container: { resources: { limits: { memory: "32Mi" } } },
    pod: { restartPolicy: "Never" },
  });
  try {
    const pod = await waitForPod(
      "hog",
      "terminated",
      (p) => mainStatus(p)?.state.terminated !== undefined,
    );
    expect(mainStatus(pod)?.state.terminated?.reason).toBe("OOMKilled");
    expect(pod.status.phase).toBe("Failed");
    expect(await cluster.ok(["get", "pod", "hog"])).toMatch(/hog\s+0\/1\s+OOMKilled/);
  } finally {
    await deletePods("hog");
  }
});

// ---- 10: graceful deletion ---------------------------------------------------------

describe("graceful deletion", () => {
  // In command and args "$$" stands for "$" (as $(VAR) is expanded): "$$$$" is the shell's $$.
  test("kubectl delete sends SIGTERM and waits for the container to finish", async () => {
    const out = await tempDir("kubun-term-");
    await shellPod(
      "graceful",
      "trap 'echo got TERM > /out/term; sleep 1; echo done >> /out/term; exit 0' TERM; echo $$$$ > /out/pid; while true; do sleep 0.2; done",
      {
        container: { volumeMounts: [{ name: "out", mountPath: "/out" }] },
        pod: { volumes: [{ name: "out", hostPath: { path: out } }] },
      },
    );
    await runningAndReady("graceful");
    const pid = Number(
      await until(
        "the pid file",
        async () => (await readFile(join(out, "pid"), "utf8").catch(() => "")).trim() || undefined,
      ),
    );
    expect(processAlive(pid)).toBe(true);
    // Default grace period (30 s); kubectl waits until the pod is gone.
    await cluster.ok(["delete", "pod", "graceful", "--timeout=60s"]);
    expect(await readFile(join(out, "term"), "utf8")).toBe("got TERM\ndone\n");
    expect((await cluster.kubectl(["get", "pod", "graceful"])).stderr).toContain("NotFound");
    await until("the process to be gone", async () => (processAlive(pid) ? undefined : true));
  });

  test("a container that does not exit on SIGTERM is killed after the grace period", async () => {
    const out = await tempDir("kubun-ignore-");
    await shellPod(
      "stubborn",
      "trap 'echo got TERM >> /out/log' TERM; echo $$$$ > /out/pid; while true; do echo alive >> /out/log; sleep 0.2; done",
      {
        container: { volumeMounts: [{ name: "out", mountPath: "/out" }] },
        pod: {
          terminationGracePeriodSeconds: 2,
          volumes: [{ name: "out", hostPath: { path: out } }],
        },
      },
    );
    await runningAndReady("stubborn");
    const pid = Number(
      await until(
        "the pid file",
        async () => (await readFile(join(out, "pid"), "utf8").catch(() => "")).trim() || undefined,
      ),
    );
    await cluster.ok(["delete", "pod", "stubborn", "--timeout=60s"]);
    expect((await cluster.kubectl(["get", "pod", "stubborn"])).stderr).toContain("NotFound");
    // Deleted only once it was killed: its process is gone, after running on past SIGTERM.
    expect(processAlive(pid)).toBe(false);
    expect(await readFile(join(out, "log"), "utf8")).toMatch(/^(alive\n)+got TERM\n(alive\n)+$/);
  });
});

// ---- 11, 12: a second agent, restarted; node status ------------------------------------

describe("a second agent", () => {
  beforeAll(async () => {
    second = await joinAgent("node-e2e-2");
  });

  test("killed with SIGKILL and restarted, it keeps its pods, which ran on meanwhile", async () => {
    const target = second as Agent;
    const out = await tempDir("kubun-ticks-");
    const ticks = join(out, "ticks");
    await writeFile(join(out, "ready"), "");
    // Crashes once (restarted at once), then appends the time every 0.2 s.
    const script =
      "if [ ! -e /out/crashed ]; then touch /out/crashed; echo crashing; exit 1; fi; echo ticking; while true; do date +%s.%N >> /out/ticks; sleep 0.2; done";
    await createPod(
      "ticker",
      {
        containers: [
          {
            name: "main",
            image: "busybox",
            command: ["sh", "-c", script],
            volumeMounts: [{ name: "out", mountPath: "/out" }],
            readinessProbe: { exec: { command: ["test", "-f", "/out/ready"] }, periodSeconds: 1 },
          },
        ],
        volumes: [{ name: "out", hostPath: { path: out } }],
      },
      target.name,
    );
    try {
      const before = await waitForPod(
        "ticker",
        "Ready after one restart",
        (pod) => condition(pod, "Ready") === "True" && mainStatus(pod)?.restartCount === 1,
      );
      const containerId = mainStatus(before)?.containerID;
      expect(containerId).toMatch(/^process:\/\//);
      expect(supervisors(target.dataDir)).toHaveLength(1);

      target.process.kill("SIGKILL");
      await target.process.exited();
      const atKill = await lines(ticks);
      await until("the pod's process to write on while its agent is down", async () =>
        (await lines(ticks)) >= atKill + 5 ? true : undefined,
      );
      expect(supervisors(target.dataDir)).toHaveLength(1);

      // Kept credentials: no token this time.
      target.process = await launchAgent(target.name, target.port, target.dataDir);
      expect(target.process.stdout).toContain(
        `using the node credentials kept in ${target.dataDir}`,
      );
      // What the restarted agent reports (it probes the adopted container): the same
      // instance, still running, with the restart it had before.
      await rm(join(out, "ready"));
      const after = await waitForPod(
        "ticker",
        "not Ready, as the restarted agent probes it",
        (pod) => condition(pod, "Ready") === "False",
      );
      expect(after.status.phase).toBe("Running");
      expect(mainStatus(after)?.state.running).toBeDefined();
      expect(mainStatus(after)?.containerID).toBe(containerId);
      expect(mainStatus(after)?.restartCount).toBe(1);
      expect(mainStatus(after)?.lastState.terminated?.exitCode).toBe(1);
      await writeFile(join(out, "ready"), "");
      await waitForPod("ticker", "Ready again", (pod) => condition(pod, "Ready") === "True");
      expect(supervisors(target.dataDir)).toHaveLength(1);

      expect(await cluster.ok(["logs", "ticker"])).toBe("ticking\n");
      expect(await cluster.ok(["logs", "ticker", "--previous"])).toBe("crashing\n");
      expect(
        await cluster.ok(["exec", "ticker", "--", "sh", "-c", "test -s /out/ticks && echo ok"]),
      ).toBe("ok\n");
      const afterRestart = await lines(ticks);
      await until("the process to go on writing", async () =>
        (await lines(ticks)) > afterRestart ? true : undefined,
      );
    } finally {
      await deletePods("ticker");
    }
  });

  test("kubectl get node -o wide: Ready, the InternalIP, the process runtime; Leases renewed", async () => {
    const nodes = [agent, second as Agent];
    const leases = new Map<string, string>();
    for (const node of nodes) {
      const lease = await getJson<LeaseJson>(["get", "lease", node.name, "-n", "kube-node-lease"]);
      expect(lease.spec.holderIdentity).toBe(node.name);
      leases.set(node.name, lease.spec.renewTime);
    }
    const table = await cluster.ok(["get", "nodes", "-o", "wide"]);
    const [header = "", ...rows] = table.trim().split("\n");
    const columns = header.split(/\s{2,}/);
    expect(columns).toEqual(
      expect.arrayContaining(["NAME", "STATUS", "INTERNAL-IP", "CONTAINER-RUNTIME"]),
    );
    for (const node of nodes) {
      const row = rows.find((r) => r.startsWith(`${node.name} `));
      expect(row).toBeDefined();
      const cells = (row ?? "").split(/\s{2,}/);
      const cell = (name: string) => cells[columns.indexOf(name)];
      expect(cell("STATUS")).toBe("Ready");
      expect(cell("INTERNAL-IP")).toBe("127.0.0.1");
      expect(cell("CONTAINER-RUNTIME")).toMatch(/^process:\/\/\S+$/);
    }
    const json = await getJson<NodeJson>(["get", "node", agent.name]);
    expect(json.status.addresses).toContainEqual({ type: "InternalIP", address: "127.0.0.1" });
    expect(json.status.nodeInfo.containerRuntimeVersion).toMatch(/^process:\/\//);
    // Leases are renewed every 10 s.
    for (const node of nodes) {
      await until(`the Lease of ${node.name} to be renewed`, async () => {
        const lease = await getJson<LeaseJson>([
          "get",
          "lease",
          node.name,
          "-n",
          "kube-node-lease",
        ]);
        return lease.spec.renewTime !== leases.get(node.name) ? true : undefined;
      });
    }
  });
});

// ---- nothing left behind ---------------------------------------------------------------

test("with every pod deleted, no container process or cgroup is left", async () => {
  await cluster.ok(["delete", "pods", "--all", "--wait=false"]);
  await until("every pod to be gone", async () =>
    (await cluster.ok(["get", "pods", "-A", "-o", "name"])).trim() === "" ? true : undefined,
  );
  for (const target of [agent, second]) {
    if (!target) continue;
    await until(`no supervisor of ${target.name} left`, async () =>
      supervisors(target.dataDir).length === 0 ? true : undefined,
    );
    await until(`no container cgroup of ${target.name} left`, async () =>
      leftoverCgroups(target.dataDir).length === 0 ? true : undefined,
    );
  }
});
