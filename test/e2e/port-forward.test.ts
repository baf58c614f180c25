/**
 * kubectl port-forward (and a client library's WebSocket port-forward)
 * through a real kubun server to a node agent's server running in this
 * process. The "pod" is an HTTP server this test listens with on loopback:
 * pods share the host network in kubun's process runtime.
 */
import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { PassThrough } from "node:stream";
import { KubeConfig, PortForward } from "@kubernetes/client-node";
import type { Subprocess } from "bun";
import { Logger } from "../../src/log/logger.ts";
import { AgentServer } from "../../src/node-agent/server/agent-server.ts";
import { FakeLocator } from "../node-agent/server/fake-container.ts";
import { kubectlBinaries, startCluster, type TestCluster } from "../support/cluster.ts";
import { clusterCa } from "../support/credentials.ts";

let cluster: TestCluster;
let agent: AgentServer;
let pod: ReturnType<typeof Bun.serve>;
/** The loopback port the pod's server listens on. */
let podPort = 0;
/** The client ports of the connections the pod's server was asked on. */
const podClientPorts: number[] = [];
const locator = new FakeLocator();
const podBody = "hello from the pod\n";
/**
 * A response of Bun's own Response class: an agent server that has started
 * in this process (@hono/node-server) has put a lightweight one, derived from
 * Bun's, in its place, which Bun.serve does not take.
 */
function bunResponse(body: string | ArrayBuffer): Response {
  let Native = globalThis.Response;
  while (Object.getPrototypeOf(Native) !== Function.prototype) {
    Native = Object.getPrototypeOf(Native);
  }
  return new Native(body);
}

const versions = [
  { name: "1.33", binary: kubectlBinaries.v133, transport: "SPDY tunneled in a WebSocket" },
  { name: "1.27", binary: kubectlBinaries.v127, transport: "SPDY/3.1" },
];

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
        addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
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

beforeAll(async () => {
  cluster = await startCluster();
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
  await createNode("agent-1", await agent.start());
  pod = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request, server) {
      podClientPorts.push(server.requestIP(request)?.port ?? 0);
      // POST /echo: the body back, for bytes both ways.
      if (request.method === "POST") return bunResponse(await request.arrayBuffer());
      return bunResponse(podBody);
    },
  });
  podPort = pod.port ?? 0;
  await cluster.ok(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "default" },
      spec: {
        nodeName: "agent-1",
        containers: [{ name: "web", image: "busybox", ports: [{ containerPort: podPort }] }],
      },
    }),
  });
  // kubectl forwards only to running pods.
  await cluster.ok([
    "patch",
    "pod",
    "p",
    "--subresource=status",
    "--type=merge",
    "-p",
    '{"status":{"phase":"Running"}}',
  ]);
  locator.add({ namespace: "default", name: "p", containers: [] });
});

afterAll(async () => {
  pod?.stop(true);
  await agent?.stop();
  await cluster?.stop();
});

/** A running `kubectl port-forward`, its output collected as it comes. */
class PortForwardProcess {
  stdout = "";
  stderr = "";
  readonly child: Subprocess<"ignore", "pipe", "pipe">;
  private readonly reading: Promise<void>;
  private changed: () => void = () => {};

  constructor(binary: string, args: string[]) {
    this.child = Bun.spawn([binary, "port-forward", ...args], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.dataDir },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.reading = Promise.all([this.collect("stdout"), this.collect("stderr")]).then(() => {
      this.changed();
    });
  }

  private async collect(name: "stdout" | "stderr"): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.child[name]) {
      this[name] += decoder.decode(chunk, { stream: true });
      this.changed();
    }
  }

  /** Waits until stdout or stderr matches; throws when kubectl ends first. */
  async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    let ended = false;
    void this.reading.then(() => {
      ended = true;
    });
    for (;;) {
      const match = pattern.exec(this.stdout) ?? pattern.exec(this.stderr);
      if (match) return match;
      if (ended) {
        throw new Error(
          `kubectl ended before printing ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.changed = resolve;
      });
    }
  }

  /** The local port of its "Forwarding from 127.0.0.1:NNNN -> …" line. */
  async localPort(): Promise<number> {
    const match = await this.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> \d+/);
    return Number(match[1]);
  }

  async kill(): Promise<void> {
    this.child.kill("SIGTERM");
    await this.child.exited;
    await this.reading;
  }
}

/** One HTTP request on its own connection. */
async function fetchOnce(port: number): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/`, {
    headers: { connection: "close" },
    keepalive: false,
  } as RequestInit);
}

for (const { name: version, binary, transport } of versions) {
  describe(`kubectl ${version} port-forward (${transport})`, () => {
    test("each local connection reaches the pod's port", async () => {
      // -v=4 for 1.33: its dialer tells whether the WebSocket tunnel was negotiated.
      const verbose = version === "1.33" ? ["-v=4"] : [];
      const forward = new PortForwardProcess(binary, ["pod/p", `:${podPort}`, ...verbose]);
      try {
        const local = await forward.localPort();
        expect(forward.stdout).toContain(`Forwarding from 127.0.0.1:${local} -> ${podPort}`);
        const before = podClientPorts.length;
        for (let i = 0; i < 2; i++) {
          const response = await fetchOnce(local);
          expect(response.status).toBe(200);
          expect(await response.text()).toBe(podBody);
        }
        // Two connections from the agent to the pod, one per local connection.
        const seen = podClientPorts.slice(before);
        expect(seen).toHaveLength(2);
        expect(new Set(seen).size).toBe(2);
        await forward.waitFor(/(Handling connection for \d+\n[\s\S]*){2}/);
        if (version === "1.33") {
          expect(forward.stderr).toContain("negotiated protocol: portforward.k8s.io");
          expect(forward.stderr).not.toContain("fallback to secondary dialer");
        } else {
          expect(forward.stderr).toBe("");
        }
      } finally {
        await forward.kill();
      }
    });

    test("megabytes both ways arrive whole", async () => {
      const forward = new PortForwardProcess(binary, ["pod/p", `:${podPort}`]);
      try {
        const local = await forward.localPort();
        const body = new Uint8Array(3 * 1024 * 1024 + 17);
        for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 10)) & 0xff;
        const response = await fetch(`http://127.0.0.1:${local}/echo`, {
          method: "POST",
          body,
          headers: { connection: "close" },
          keepalive: false,
        } as RequestInit);
        expect(response.status).toBe(200);
        const echoed = new Uint8Array(await response.arrayBuffer());
        expect(echoed.length).toBe(body.length);
        expect(Bun.hash(echoed)).toBe(Bun.hash(body));
      } finally {
        await forward.kill();
      }
    });

    test("a port nobody listens on: the agent's error, as kubectl shows it", async () => {
      const port = await closedPort();
      const forward = new PortForwardProcess(binary, ["pod/p", `:${port}`]);
      try {
        const local = await forward.localPort();
        // The local connection is accepted, then closed without an answer.
        await expect(fetchOnce(local)).rejects.toThrow();
        const match = await forward.waitFor(/an error occurred forwarding[^\n]*/i);
        const line = match[0];
        expect(line).toContain(`${local} -> ${port}`);
        expect(line).toContain(
          `error forwarding port ${port} to pod p_default, uid uid-p: failed to connect to localhost:${port}`,
        );
        expect(line).toContain(`dial tcp4 127.0.0.1:${port}: connect: connection refused`);
        // Since 1.27 an error from the pod's side ends the whole port-forward.
        await forward.waitFor(/error: lost connection to pod/);
        expect(await forward.child.exited).toBe(1);
      } finally {
        await forward.kill();
      }
    });
  });
}

/** What a client library's WebSocket port-forward to one port brought back. */
interface LibraryForward {
  protocol: string;
  data: string;
  errors: string;
}

/**
 * @kubernetes/client-node's PortForward (v4.channel.k8s.io through the API
 * server): sends `request` on the data channel and collects both channels
 * until the agent closes the WebSocket.
 */
async function libraryPortForward(port: number, request: string): Promise<LibraryForward> {
  const config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfig);
  const output = new PassThrough();
  const errors = new PassThrough();
  const input = new PassThrough();
  const result = { protocol: "", data: "", errors: "" };
  output.on("data", (chunk: Buffer) => {
    result.data += chunk.toString();
  });
  errors.on("data", (chunk: Buffer) => {
    result.errors += chunk.toString();
  });
  const ws = (await new PortForward(config).portForward(
    "default",
    "p",
    [port],
    output,
    errors,
    input,
  )) as unknown as { protocol: string; once(event: "close", listener: () => void): void };
  result.protocol = ws.protocol;
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  input.write(request);
  await closed;
  return result;
}

describe("WebSocket port-forward as client libraries do it (v4.channel.k8s.io)", () => {
  test("the data channel reaches the pod's port; the agent closes when it has closed", async () => {
    const before = podClientPorts.length;
    const result = await libraryPortForward(
      podPort,
      "GET / HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n",
    );
    expect(result.protocol).toBe("v4.channel.k8s.io");
    expect(result.data).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(result.data).toEndWith(`\r\n\r\n${podBody}`);
    expect(result.errors).toBe("");
    expect(podClientPorts.length).toBe(before + 1);
  });

  test("a port nobody listens on: the reason on the error channel", async () => {
    const port = await closedPort();
    const result = await libraryPortForward(port, "hello");
    expect(result.data).toBe("");
    expect(result.errors).toStartWith(
      `error forwarding port ${port} to pod p_default, uid uid-p: failed to connect to localhost:${port}`,
    );
    expect(result.errors).toContain(`dial tcp4 127.0.0.1:${port}: connect: connection refused`);
  });
});
