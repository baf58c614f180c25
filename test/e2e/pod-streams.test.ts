/**
 * kubectl logs / exec / attach through a real kubun server to a node agent's
 * server running in this process, whose "containers" are host processes and
 * CRI log files written here.
 */
import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import { AgentServer } from "../../src/node-agent/server/agent-server.ts";
import type { LocatedContainer } from "../../src/node-agent/server/container-locator.ts";
import {
  criLines,
  FakeLocator,
  HostContainer,
  openDescriptors,
} from "../node-agent/server/fake-container.ts";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";
import { clusterCa, clusterFetch } from "../support/credentials.ts";

let cluster: TestCluster;
let agent: AgentServer;
let agentPort = 0;
let dir: string;
const locator = new FakeLocator();
const handles: HostContainer[] = [];

const versions = [
  { name: "1.33", binary: kubectlBinaries.v133 },
  { name: "1.27", binary: kubectlBinaries.v127 },
];

function instance(pod: string, container: string, log: string, attempt = 0): HostContainer {
  const handle = new HostContainer(
    { namespace: "default", podName: pod, podUid: `uid-${pod}`, containerName: container, attempt },
    join(dir, log),
  );
  handles.push(handle);
  return handle;
}

function podManifest(
  name: string,
  containers: { name: string; stdin?: boolean; stdinOnce?: boolean }[],
  nodeName?: string,
): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: containers.map((c) => ({ image: "busybox", command: ["sh"], ...c })),
    },
  });
}

async function createPod(
  name: string,
  containers: { name: string; stdin?: boolean; stdinOnce?: boolean }[],
  nodeName: string | undefined,
  located?: LocatedContainer[],
): Promise<void> {
  await cluster.ok(["apply", "-f", "-"], { input: podManifest(name, containers, nodeName) });
  if (located) locator.add({ namespace: "default", name, containers: located });
}

async function createNode(name: string, port: number): Promise<void> {
  await cluster.ok(["apply", "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } }),
  });
  await cluster.ok([
    "patch",
    "node",
    name,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({
      status: {
        addresses: [
          { type: "InternalIP", address: "127.0.0.1" },
          { type: "Hostname", address: name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
      },
    }),
  ]);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let main: HostContainer;

beforeAll(async () => {
  cluster = await startCluster();
  dir = await mkdtemp(join(tmpdir(), "pod-streams-"));
  const ca = await clusterCa(cluster);
  const serving = await ca.issue({
    commonName: "system:node:agent-1",
    organizations: ["system:nodes"],
    ipAddresses: ["127.0.0.1"],
    usages: ["serverAuth"],
    validityDays: 1,
  });
  agent = new AgentServer({
    host: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem ?? "",
    caPem: ca.certPem,
    locator,
    log: new Logger("test-agent"),
  });
  agentPort = await agent.start();
  await createNode("agent-1", agentPort);
  await createNode("gone", await closedPort());

  // p/c: restarted once. Its first instance wrote "previous run"; the current one
  // wrote three lines and runs (it is the "container" exec runs in).
  await writeFile(join(dir, "p-c-0.log"), criLines("stdout", "previous run\n"));
  main = instance("p", "c", "p-c-1.log", 1);
  await writeFile(
    main.logPath,
    criLines("stdout", "line one\nline two\n", new Date("2024-05-01T10:00:00.25Z")) +
      criLines("stderr", "line three\n", new Date("2024-05-01T10:00:01Z")),
  );
  await createPod("p", [{ name: "c" }], "agent-1", [
    {
      name: "c",
      current: { logPath: main.logPath, handle: main },
      previous: { logPath: join(dir, "p-c-0.log"), handle: null },
    },
  ]);
  await createPod("multi", [{ name: "a" }, { name: "b" }], "agent-1", []);
  await createPod("unbound", [{ name: "c" }], undefined);
  await createPod("lost", [{ name: "c" }], "gone");
});

afterAll(async () => {
  for (const handle of handles) {
    handle.kill("SIGKILL");
    handle.exit(0);
  }
  await agent?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

for (const { name: version, binary } of versions) {
  describe(`kubectl ${version} logs`, () => {
    test("prints the current instance's log", async () => {
      expect(await cluster.ok(["logs", "p"], { binary })).toBe("line one\nline two\nline three\n");
    });

    test("--tail, --timestamps, --limit-bytes, --previous", async () => {
      expect(await cluster.ok(["logs", "p", "--tail=1"], { binary })).toBe("line three\n");
      expect(await cluster.ok(["logs", "p", "--timestamps"], { binary })).toBe(
        "2024-05-01T10:00:00.25Z line one\n2024-05-01T10:00:00.25Z line two\n2024-05-01T10:00:01Z line three\n",
      );
      expect(await cluster.ok(["logs", "p", "--limit-bytes=6"], { binary })).toBe("line o");
      expect(await cluster.ok(["logs", "p", "--previous"], { binary })).toBe("previous run\n");
    });

    test("-f follows until the instance exits", async () => {
      const pod = `follow-${version.replace(".", "-")}`;
      const handle = instance(pod, "f", `${pod}.log`);
      await writeFile(handle.logPath, criLines("stdout", "before\n"));
      await createPod(pod, [{ name: "f" }], "agent-1", [
        { name: "f", current: { logPath: handle.logPath, handle }, previous: null },
      ]);
      const child = Bun.spawn([binary, "logs", "-f", pod], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dataDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let output = "";
      const readUntil = async (expected: string) => {
        while (!output.includes(expected)) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`kubectl ended before ${JSON.stringify(expected)}: ${output}`);
          output += decoder.decode(value, { stream: true });
        }
      };
      await readUntil("before\n");
      await appendFile(handle.logPath, criLines("stdout", "during\n"));
      await readUntil("during\n");
      await appendFile(handle.logPath, criLines("stdout", "last words\n"));
      handle.exit(0);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        output += decoder.decode(value, { stream: true });
      }
      expect(await child.exited).toBe(0);
      expect(output).toBe("before\nduring\nlast words\n");
    });

    test("a -f that is interrupted stops the agent's reading", async () => {
      const pod = `interrupted-${version.replace(".", "-")}`;
      const handle = instance(pod, "f", `${pod}.log`);
      await writeFile(handle.logPath, criLines("stdout", "tick\n"));
      await createPod(pod, [{ name: "f" }], "agent-1", [
        { name: "f", current: { logPath: handle.logPath, handle }, previous: null },
      ]);
      const child = Bun.spawn([binary, "logs", "-f", pod], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dataDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      await (child.stdout as ReadableStream<Uint8Array>).getReader().read();
      expect(await openDescriptors(handle.logPath)).toBe(1);
      child.kill("SIGINT");
      await child.exited;
      for (let i = 0; i < 100 && (await openDescriptors(handle.logPath)) > 0; i++) {
        await Bun.sleep(20);
      }
      expect(await openDescriptors(handle.logPath)).toBe(0);
      handle.exit(0);
    });

    test("errors: unknown container, missing pod, unreachable node", async () => {
      const container = await cluster.kubectl(["logs", "p", "-c", "nope"], { binary });
      expect(container.code).not.toBe(0);
      expect(container.stderr).toContain("container nope is not valid for pod p");
      const missing = await cluster.kubectl(["logs", "nope"], { binary });
      expect(missing.stderr).toContain('pods "nope" not found');
      const lost = await cluster.kubectl(["logs", "lost"], { binary });
      expect(lost.code).not.toBe(0);
      expect(lost.stderr).toContain("/containerLogs/default/lost/c");
      expect(lost.stderr).toContain("connect: connection refused");
    });
  });
}

describe("pods/log over the API", () => {
  test("the container must be the pod's", async () => {
    const response = await clusterFetch(
      cluster,
      "/api/v1/namespaces/default/pods/p/log?container=nope",
      await adminCredentials(),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe(
      "container nope is not valid for pod p",
    );
  });

  test("a container must be named when there are several", async () => {
    const response = await clusterFetch(cluster, "/api/v1/namespaces/default/pods/multi/log", {
      cert: (await adminCredentials()).cert,
      key: (await adminCredentials()).key,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe(
      "a container name must be specified for pod multi, choose one of: [a b]",
    );
  });

  test("a pod not on a node has no logs yet; invalid options are 422", async () => {
    const credentials = await adminCredentials();
    const unbound = await clusterFetch(
      cluster,
      "/api/v1/namespaces/default/pods/unbound/log",
      credentials,
    );
    expect(unbound.status).toBe(200);
    expect(await unbound.text()).toBe("");
    const invalid = await clusterFetch(
      cluster,
      "/api/v1/namespaces/default/pods/p/log?tailLines=-1",
      credentials,
    );
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { message: string }).message).toBe(
      'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  test("an unreachable node is a 500 naming the agent", async () => {
    const response = await clusterFetch(
      cluster,
      "/api/v1/namespaces/default/pods/lost/log",
      await adminCredentials(),
    );
    expect(response.status).toBe(500);
    const status = (await response.json()) as { reason: string; message: string };
    expect(status.reason).toBe("InternalError");
    expect(status.message).toContain('Get "https://127.0.0.1:');
  });
});

for (const { name: version, binary } of versions) {
  const transport =
    version === "1.33" ? "WebSocket, v5.channel.k8s.io" : "SPDY/3.1, v4.channel.k8s.io";
  const suffix = version.replace(".", "-");

  describe(`kubectl ${version} exec (${transport})`, () => {
    test("stdout, stderr and the exit code", async () => {
      const result = await cluster.kubectl(
        ["exec", "p", "--", "sh", "-c", "echo out; echo err >&2; exit 3"],
        { binary },
      );
      expect(result.stdout).toBe("out\n");
      expect(result.stderr).toContain("err\n");
      expect(result.code).toBe(3);
      expect(main.execs.at(-1)).toEqual(["sh", "-c", "echo out; echo err >&2; exit 3"]);
      expect(main.execTty.at(-1)).toBe(false);
    });

    test("-i passes stdin and its end", async () => {
      const result = await cluster.kubectl(["exec", "-i", "p", "--", "cat"], {
        binary,
        input: "hello\nworld\n",
      });
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe("hello\nworld\n");
      expect(result.code).toBe(0);
    });

    test("-it runs under a terminal (script provides kubectl's)", async () => {
      const command = `${binary} exec -it p -- sh -c 'echo on-out; echo on-err >&2; exit 4'`;
      const child = Bun.spawn(["script", "-qefc", command, "/dev/null"], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dataDir },
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      const [output, code] = await Promise.all([
        new Response(child.stdout as ReadableStream<Uint8Array>).text(),
        child.exited,
      ]);
      // With a TTY stderr joins stdout; the exit code still comes back.
      expect(output).toContain("on-out");
      expect(output).toContain("on-err");
      expect(code).toBe(4);
      expect(main.execTty.at(-1)).toBe(true);
    });

    test("errors: a pod without a node, a stopped container", async () => {
      const unbound = await cluster.kubectl(["exec", "unbound", "--", "true"], { binary });
      expect(unbound.code).not.toBe(0);
      expect(unbound.stderr).toContain("pod unbound does not have a host assigned");
      const pod = `stopped-${suffix}`;
      const handle = instance(pod, "c", `${pod}.log`);
      handle.exit(0);
      await createPod(pod, [{ name: "c" }], "agent-1", [
        { name: "c", current: { logPath: handle.logPath, handle }, previous: null },
      ]);
      const stopped = await cluster.kubectl(["exec", pod, "--", "true"], { binary });
      expect(stopped.code).not.toBe(0);
      expect(stopped.stderr).toContain(`container c is not running in pod default/${pod}`);
      const lost = await cluster.kubectl(["exec", "lost", "--", "true"], { binary });
      expect(lost.code).not.toBe(0);
      expect(lost.stderr).toContain("error dialing backend");
    });
  });

  describe(`kubectl ${version} attach (${transport})`, () => {
    test("-i: input reaches the container, its output comes back, stdinOnce ends it", async () => {
      const pod = `reader-${suffix}`;
      const handle = instance(pod, "r", `${pod}.log`).run(
        'while read line; do echo "got $line"; done; echo bye',
        { stdin: true },
      );
      await createPod(pod, [{ name: "r", stdin: true, stdinOnce: true }], "agent-1", [
        {
          name: "r",
          current: { logPath: handle.logPath, handle },
          previous: null,
          stdin: true,
          stdinOnce: true,
        },
      ]);
      const result = await cluster.kubectl(["attach", "-i", pod], { binary, input: "a\nb\n" });
      expect(result.stdout).toContain("got a\ngot b\nbye\n");
      expect(result.code).toBe(0);
    });
  });
}

describe("authorization", () => {
  beforeAll(async () => {
    // viewer: the view role (pods and pods/log, not pods/exec).
    await cluster.ok(["create", "rolebinding", "viewer", "--clusterrole=view", "--user=viewer"]);
    // getter: get on pods and pods/exec, but not create.
    await cluster.ok(["create", "role", "exec-getter", "--verb=get", "--resource=pods,pods/exec"]);
    await cluster.ok(["create", "rolebinding", "getter", "--role=exec-getter", "--user=getter"]);
    // podreader: get on pods only.
    await cluster.ok(["create", "role", "pod-reader", "--verb=get", "--resource=pods"]);
    await cluster.ok([
      "create",
      "rolebinding",
      "podreader",
      "--role=pod-reader",
      "--user=podreader",
    ]);
  });

  test("logs need get on pods/log", async () => {
    expect(await cluster.ok(["logs", "p", "--as=viewer"])).toBe("line one\nline two\nline three\n");
    const denied = await cluster.kubectl(["logs", "p", "--as=podreader"]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      'pods "p" is forbidden: User "podreader" cannot get resource "pods/log" in API group "" in the namespace "default"',
    );
  });

  for (const [user, binary] of [
    ["viewer", kubectlBinaries.v133],
    ["getter", kubectlBinaries.v133],
    ["getter", kubectlBinaries.v127],
  ] as const) {
    test(`exec needs create on pods/exec, even over a WebSocket GET (${user}, ${binary.slice(-4)})`, async () => {
      const denied = await cluster.kubectl(["exec", "p", `--as=${user}`, "--", "true"], {
        binary,
      });
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain(
        `pods "p" is forbidden: User "${user}" cannot create resource "pods/exec" in API group "" in the namespace "default"`,
      );
    });
  }
});

let admin: { cert: string; key: string } | undefined;

/** The admin kubeconfig's client certificate. */
async function adminCredentials(): Promise<{ cert: string; key: string }> {
  if (admin) return admin;
  const text = await Bun.file(cluster.kubeconfig).text();
  const field = (name: string) =>
    Buffer.from(new RegExp(`${name}: (\\S+)`).exec(text)?.[1] ?? "", "base64").toString();
  admin = { cert: field("client-certificate-data"), key: field("client-key-data") };
  return admin;
}
