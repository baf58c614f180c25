import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTls } from "node:tls";
import WebSocket from "ws";
import { Logger } from "../../../src/log/logger.ts";
import { AgentServer } from "../../../src/node-agent/server/agent-server.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { criLines, FakeLocator, HostContainer, openDescriptors } from "./fake-container.ts";

interface Credentials {
  cert: string;
  key: string;
}

let dir: string;
let ca: CertificateAuthority;
let server: AgentServer;
let port: number;
let apiServer: Credentials;
let admin: Credentials;
let bob: Credentials;
let stranger: Credentials;
const locator = new FakeLocator();
const running: HostContainer[] = [];

async function client(authority: CertificateAuthority, cn: string, groups: string[] = []) {
  const issued = await authority.issue({
    commonName: cn,
    organizations: groups,
    usages: ["clientAuth"],
    validityDays: 1,
  });
  return { cert: issued.certPem, key: issued.keyPem ?? "" };
}

function container(name: string, logName: string, attempt = 0): HostContainer {
  const handle = new HostContainer(
    { namespace: "ns", podName: "p", podUid: "uid-p", containerName: name, attempt },
    join(dir, logName),
  );
  running.push(handle);
  return handle;
}

let follow: HostContainer;
let shell: HostContainer;
let reader: HostContainer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-server-"));
  ca = await CertificateAuthority.create({ commonName: "test-ca" });
  const serving = await ca.issue({
    commonName: "agent",
    ipAddresses: ["127.0.0.1"],
    usages: ["serverAuth"],
    validityDays: 1,
  });
  apiServer = await client(ca, "kube-apiserver-kubelet-client");
  admin = await client(ca, "admin", ["system:masters"]);
  bob = await client(ca, "bob", ["dev"]);
  stranger = await client(await CertificateAuthority.create({ commonName: "other" }), "admin", [
    "system:masters",
  ]);

  // c: restarted once; its first instance logged "old", the current one runs.
  await writeFile(join(dir, "c-0.log"), criLines("stdout", "old\n"));
  await writeFile(
    join(dir, "c-1.log"),
    criLines("stdout", "one\ntwo\n", new Date("2024-05-01T10:00:00.5Z")) +
      criLines("stderr", "three\n", new Date("2024-05-01T10:00:01Z")),
  );
  shell = container("c", "c-1.log", 1);
  follow = container("f", "f-0.log");
  await writeFile(follow.logPath, criLines("stdout", "before\n"));
  reader = container("r", "r-0.log").run('while read line; do echo "got $line"; done; echo bye', {
    stdin: true,
  });
  const exited = container("done", "done-0.log");
  exited.exit(0);
  locator.add({
    namespace: "ns",
    name: "p",
    containers: [
      {
        name: "c",
        current: { logPath: shell.logPath, handle: shell },
        previous: { logPath: join(dir, "c-0.log"), handle: null },
      },
      { name: "f", current: { logPath: follow.logPath, handle: follow }, previous: null },
      {
        name: "r",
        current: { logPath: reader.logPath, handle: reader },
        previous: null,
        stdin: true,
        stdinOnce: true,
      },
      { name: "done", current: { logPath: exited.logPath, handle: exited }, previous: null },
      { name: "w", current: null, previous: null, waitingReason: "ErrImageNeverPull" },
    ],
  });
  server = new AgentServer({
    host: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem ?? "",
    caPem: ca.certPem,
    locator,
    log: new Logger("agent-test"),
  });
  port = await server.start();
});

afterAll(async () => {
  for (const handle of running) handle.kill("SIGKILL");
  shell?.exit(0);
  follow?.exit(0);
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, credentials?: Credentials): Promise<Response> {
  return fetch(`https://127.0.0.1:${port}${path}`, {
    tls: { ca: ca.certPem, ...(credentials ?? {}) },
    keepalive: false,
  } as RequestInit);
}

interface Frame {
  channel: number;
  text: string;
}

/** A channel WebSocket session: frames received, and how it closed. */
function session(path: string, protocols: string[], credentials: Credentials = apiServer) {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, protocols, {
    ca: ca.certPem,
    cert: credentials.cert,
    key: credentials.key,
  });
  const frames: Frame[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) frames.push({ channel: data[0] ?? -1, text: data.subarray(1).toString() });
    else {
      const text = data.toString();
      frames.push({
        channel: text.charCodeAt(0) - 48,
        text: Buffer.from(text.slice(1), "base64").toString(),
      });
    }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const closed = new Promise<number>((resolve) =>
    ws.once("close", (code: number) => resolve(code)),
  );
  const output = (channel: number) =>
    frames
      .filter((f) => f.channel === channel)
      .map((f) => f.text)
      .join("");
  return { ws, frames, opened, closed, output };
}

describe("who may use the agent", () => {
  test("healthz is open", async () => {
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
  });

  test("no certificate, or one of another CA, is 401; another user 403", async () => {
    expect((await get("/containerLogs/ns/p/c")).status).toBe(401);
    expect((await get("/containerLogs/ns/p/c", stranger)).status).toBe(401);
    const denied = await get("/containerLogs/ns/p/c", bob);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("user=bob");
  });

  test("the API server's client and system:masters are let in", async () => {
    expect((await get("/containerLogs/ns/p/c", apiServer)).status).toBe(200);
    expect((await get("/containerLogs/ns/p/c", admin)).status).toBe(200);
  });

  test("upgrades check the client too", async () => {
    const denied = session("/exec/ns/p/c?command=true&output=1", ["v5.channel.k8s.io"], bob);
    await expect(denied.opened).rejects.toThrow();
  });
});

describe("container logs", () => {
  test("the current instance, prefix stripped", async () => {
    const response = await get("/containerLogs/ns/p/c", apiServer);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(await response.text()).toBe("one\ntwo\nthree\n");
  });

  test("tailLines, timestamps, limitBytes, sinceTime", async () => {
    expect(await (await get("/containerLogs/ns/p/c?tailLines=1", apiServer)).text()).toBe(
      "three\n",
    );
    expect(await (await get("/containerLogs/ns/p/c?timestamps=true", apiServer)).text()).toBe(
      "2024-05-01T10:00:00.5Z one\n2024-05-01T10:00:00.5Z two\n2024-05-01T10:00:01Z three\n",
    );
    expect(await (await get("/containerLogs/ns/p/c?limitBytes=5", apiServer)).text()).toBe(
      "one\nt",
    );
    expect(
      await (await get("/containerLogs/ns/p/c?sinceTime=2024-05-01T10:00:01Z", apiServer)).text(),
    ).toBe("three\n");
  });

  test("previous reads the last terminated instance", async () => {
    expect(await (await get("/containerLogs/ns/p/c?previous=true", apiServer)).text()).toBe(
      "old\n",
    );
    const none = await get("/containerLogs/ns/p/f?previous=true", apiServer);
    expect(none.status).toBe(400);
    expect(await none.text()).toBe('previous terminated container "f" in pod "p" not found');
  });

  test("errors as the kubelet's", async () => {
    const waiting = await get("/containerLogs/ns/p/w", apiServer);
    expect(waiting.status).toBe(400);
    expect(await waiting.text()).toBe(
      'container "w" in pod "p" is waiting to start: ErrImageNeverPull',
    );
    const noPod = await get("/containerLogs/ns/q/c", apiServer);
    expect(noPod.status).toBe(404);
    expect(await noPod.text()).toBe('pod "q" does not exist');
    const noContainer = await get("/containerLogs/ns/p/x", apiServer);
    expect(noContainer.status).toBe(404);
    expect(await noContainer.text()).toBe('container "x" not found in pod "p"');
    expect((await get("/containerLogs/ns/p/c?tailLines=-1", apiServer)).status).toBe(400);
  });

  test("follow streams until the instance exits", async () => {
    const response = await get("/containerLogs/ns/p/f?follow=true", apiServer);
    const body = response.body?.getReader();
    if (!body) throw new Error("no body");
    const decoder = new TextDecoder();
    let text = "";
    const readUntil = async (expected: string) => {
      while (!text.includes(expected)) {
        const { done, value } = await body.read();
        if (done) throw new Error(`ended before ${JSON.stringify(expected)}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil("before\n");
    await writeFile(follow.logPath, criLines("stdout", "before\nafter\n"));
    await readUntil("after\n");
    follow.exit(0);
    for (;;) {
      const { done, value } = await body.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toBe("before\nafter\n");
  });
});

test("a follower that goes away stops reading", async () => {
  const handle = container("g", "g-0.log");
  await writeFile(handle.logPath, criLines("stdout", "x\n"));
  locator.add({
    namespace: "ns",
    name: "g",
    containers: [{ name: "g", current: { logPath: handle.logPath, handle }, previous: null }],
  });
  const abort = new AbortController();
  const response = await fetch(`https://127.0.0.1:${port}/containerLogs/ns/g/g?follow=true`, {
    signal: abort.signal,
    tls: { ca: ca.certPem, ...apiServer },
  } as RequestInit);
  await response.body?.getReader().read();
  expect(await openDescriptors(handle.logPath)).toBe(1);
  abort.abort();
  await until(() => false, 300).catch(() => {});
  expect(await openDescriptors(handle.logPath)).toBe(0);
  handle.exit(0);
});

describe("exec", () => {
  test("v5: stdout, stderr and the exit code in a Status", async () => {
    const command = ["sh", "-c", "echo out; echo err >&2; exit 3"]
      .map((c) => `command=${encodeURIComponent(c)}`)
      .join("&");
    const s = session(`/exec/ns/p/c?${command}&output=1&error=1`, ["v5.channel.k8s.io"]);
    await s.opened;
    expect(s.ws.protocol).toBe("v5.channel.k8s.io");
    expect(await s.closed).toBe(1000);
    // The first frame tells the client the streams are ready: empty, on stdout.
    expect(s.frames[0]).toEqual({ channel: 1, text: "" });
    expect(s.output(1)).toBe("out\n");
    expect(s.output(2)).toBe("err\n");
    expect(JSON.parse(s.output(3))).toEqual({
      metadata: {},
      status: "Failure",
      message: "command terminated with non-zero exit code: exit status 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
    expect(shell.execs.at(-1)).toEqual(["sh", "-c", "echo out; echo err >&2; exit 3"]);
  });

  test("v5: stdin, closed by the close signal", async () => {
    const s = session("/exec/ns/p/c?command=cat&input=1&output=1&error=1", ["v5.channel.k8s.io"]);
    await s.opened;
    s.ws.send(Buffer.from([0, ...Buffer.from("hello\n")]));
    s.ws.send(Buffer.from([0, ...Buffer.from("world\n")]));
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(s.output(1)).toBe("hello\nworld\n");
    expect(JSON.parse(s.output(3))).toEqual({ metadata: {}, status: "Success" });
  });

  test("v4 base64 frames; the API's parameter names work too", async () => {
    const s = session("/exec/ns/p/c?command=echo&command=hi&stdout=true", [
      "v4.base64.channel.k8s.io",
    ]);
    await s.opened;
    expect(await s.closed).toBe(1000);
    expect(s.output(1)).toBe("hi\n");
    expect(JSON.parse(s.output(3)).status).toBe("Success");
  });

  test("channel.k8s.io reports only a failure's message", async () => {
    const s = session("/exec/ns/p/c?command=false&output=1", ["channel.k8s.io"]);
    await s.opened;
    expect(await s.closed).toBe(1000);
    expect(s.output(3)).toBe("command terminated with non-zero exit code: exit status 1");
  });

  test("a tty merges stderr into stdout", async () => {
    const command = ["sh", "-c", "echo err >&2"].map((c) => `command=${encodeURIComponent(c)}`);
    const s = session(`/exec/ns/p/c?${command.join("&")}&output=1&error=1&tty=1`, [
      "v5.channel.k8s.io",
    ]);
    await s.opened;
    s.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]));
    await s.closed;
    expect(s.output(1)).toBe("err\n");
    expect(s.output(2)).toBe("");
  });

  test("refused before the upgrade: not running, missing command, no protocol", async () => {
    const notRunning = session("/exec/ns/p/done?command=true&output=1", ["v5.channel.k8s.io"]);
    await expect(notRunning.opened).rejects.toThrow();
    const noCommand = session("/exec/ns/p/c?output=1", ["v5.channel.k8s.io"]);
    await expect(noCommand.opened).rejects.toThrow();
    const spdy = await rawUpgrade(
      "/exec/ns/p/c?command=true&output=1",
      "SPDY/3.1",
      apiServer,
      "v9.channel.k8s.io",
    );
    expect(spdy).toStartWith("HTTP/1.1 403");
    expect(spdy).toContain("unable to negotiate protocol");
    const other = await rawUpgrade("/exec/ns/p/c?command=true&output=1", "h2c", apiServer);
    expect(other).toStartWith("HTTP/1.1 400");
    const missing = await rawUpgrade("/exec/ns/q/c?command=true&output=1", "websocket", apiServer);
    expect(missing).toStartWith("HTTP/1.1 404");
    expect(JSON.parse(missing.slice(missing.indexOf("\r\n\r\n") + 4))).toMatchObject({
      kind: "Status",
      reason: "NotFound",
      message: 'pod "q" does not exist',
    });
  });
});

describe("attach", () => {
  test("output from now on, stdin to the container, stdinOnce closes it", async () => {
    const s = session("/attach/ns/p/r?input=1&output=1&error=1", ["v5.channel.k8s.io"]);
    await s.opened;
    s.ws.send(Buffer.from([0, ...Buffer.from("a\n")]));
    await until(() => s.output(1) === "got a\n");
    s.ws.send(Buffer.from([0, ...Buffer.from("b\n")]));
    await until(() => s.output(1) === "got a\ngot b\n");
    // stdinOnce: closing stdin closes the container's; it says bye and exits.
    s.ws.send(Buffer.from([255, 0]));
    expect(await s.closed).toBe(1000);
    expect(s.output(1)).toBe("got a\ngot b\nbye\n");
    expect(JSON.parse(s.output(3))).toEqual({ metadata: {}, status: "Success" });
  });
});

/** Sends an upgrade request by hand and returns the raw answer. */
function rawUpgrade(
  path: string,
  protocol: string,
  credentials: Credentials,
  streamProtocol = "v4.channel.k8s.io",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({
      host: "127.0.0.1",
      port,
      ca: ca.certPem,
      cert: credentials.cert,
      key: credentials.key,
    });
    let answer = "";
    socket.on("data", (data: Buffer) => {
      answer += data.toString();
    });
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.once("secureConnect", () => {
      socket.write(
        [
          `POST ${path} HTTP/1.1`,
          "Host: 127.0.0.1",
          "Connection: Upgrade",
          `Upgrade: ${protocol}`,
          "Sec-WebSocket-Version: 13",
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
          `X-Stream-Protocol-Version: ${streamProtocol}`,
          "",
          "",
        ].join("\r\n"),
      );
    });
  });
}

async function until(check: () => boolean, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await Bun.sleep(10);
  }
  throw new Error("timed out");
}
