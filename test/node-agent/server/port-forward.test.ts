import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Logger } from "../../../src/log/logger.ts";
import { AgentServer } from "../../../src/node-agent/server/agent-server.ts";
import {
  channelPorts,
  Forwarding,
  type ForwardStream,
  offeredSubprotocols,
  portPrefix,
  SpdyPortForward,
  selectPortForwardProtocol,
  streamProblem,
  tunneledProtocols,
} from "../../../src/node-agent/server/port-forward.ts";
import { SpdyConnection } from "../../../src/node-agent/server/spdy.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { FakeLocator } from "./fake-container.ts";
import {
  RawWebSocket,
  readBody,
  SpdyTestClient,
  type UpgradeTarget,
  until,
  upgradeRequest,
} from "./stream-clients.ts";

describe("port-forward pieces", () => {
  test("WebSocket ports: `port` parameters, comma-separated, 1-65535", () => {
    expect(channelPorts(new URLSearchParams("port=80,443&port=8080"))).toEqual([80, 443, 8080]);
    expect(channelPorts(new URLSearchParams(""))).toBe('query parameter "port" is required');
    expect(channelPorts(new URLSearchParams("port="))).toBe(
      'query parameter "port" cannot be empty',
    );
    expect(channelPorts(new URLSearchParams("port=http"))).toBe(
      'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax',
    );
    expect(channelPorts(new URLSearchParams("port=80,70000"))).toBe(
      'unable to parse "80,70000" as a port: strconv.ParseUint: parsing "70000": value out of range',
    );
    expect(channelPorts(new URLSearchParams("port=0"))).toBe('port "0" must be > 0');
  });

  test("each channel's first message: the port, little-endian uint16", () => {
    expect([...portPrefix(8080)]).toEqual([0x90, 0x1f]);
    expect([...portPrefix(80)]).toEqual([80, 0]);
    expect([...portPrefix(65535)]).toEqual([0xff, 0xff]);
  });

  test("subprotocols: tunneled SPDY, else the v4 channel protocols", () => {
    expect(offeredSubprotocols(["a, b", "c"])).toEqual(["a", "b", "c"]);
    expect(offeredSubprotocols(undefined)).toEqual([]);
    expect(tunneledProtocols(["v4.channel.k8s.io"])).toBeNull();
    expect(tunneledProtocols(["SPDY/3.1+portforward.k8s.io", "SPDY/3.1+other"])).toEqual([
      "portforward.k8s.io",
    ]);
    expect(tunneledProtocols(["SPDY/3.1+other"])).toEqual([]);
    expect(selectPortForwardProtocol(["SPDY/3.1+portforward.k8s.io"])).toBe(
      "SPDY/3.1+portforward.k8s.io",
    );
    // As the kubelet: v5 is not a port-forward protocol, so client-go's list ends on v4.
    expect(selectPortForwardProtocol(["v5.channel.k8s.io", "v4.channel.k8s.io"])).toBe(
      "v4.channel.k8s.io",
    );
    expect(selectPortForwardProtocol(["v4.base64.channel.k8s.io"])).toBe(
      "v4.base64.channel.k8s.io",
    );
    expect(selectPortForwardProtocol(["channel.k8s.io", "portforward.k8s.io"])).toBe(false);
  });

  test("SPDY streams need a port and a stream type of error or data", () => {
    expect(streamProblem({ port: "80", streamType: "data" })).toBeNull();
    expect(streamProblem({ streamType: "data" })).toBe('"port" header is required');
    expect(streamProblem({ port: "x", streamType: "data" })).toBe(
      'unable to parse "x" as a port: strconv.ParseUint: parsing "x": invalid syntax',
    );
    expect(streamProblem({ port: "0", streamType: "data" })).toBe('port "0" must be > 0');
    expect(streamProblem({ port: "80" })).toBe('"streamType" header is required');
    expect(streamProblem({ port: "80", streamType: "stdout" })).toBe(
      'invalid stream type "stdout"',
    );
  });
});

/** A TCP server standing in for a pod's process: echoes, upper-cased, until EOF. */
let echo: Server;
let echoPort = 0;
const echoSockets: Socket[] = [];

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A client stream for Forwarding, recording what it is given. */
class FakeStream implements ForwardStream {
  onData: (data: Uint8Array) => void = () => {};
  onEnd: () => void = () => {};
  onReset: () => void = () => {};
  received = "";
  ended = false;

  async write(data: Uint8Array): Promise<void> {
    this.received += Buffer.from(data).toString();
  }

  async end(): Promise<void> {
    this.ended = true;
  }
}

describe("Forwarding", () => {
  test("keeps early bytes, copies both ways, passes the client's half-close on", async () => {
    const stream = new FakeStream();
    const forwarding = new Forwarding(stream);
    stream.onData(new TextEncoder().encode("early "));
    const done = forwarding.run(echoPort);
    await until(() => stream.received === "EARLY ", "the early bytes' echo");
    stream.onData(new TextEncoder().encode("later"));
    await until(() => stream.received === "EARLY LATER", "the echo");
    // The client's FIN reaches the pod, whose close ends the forwarding.
    stream.onEnd();
    expect(await done).toBeNull();
    expect(stream.ended).toBe(true);
  });

  test("a reset drops the pod's connection", async () => {
    const stream = new FakeStream();
    const before = echoSockets.length;
    const done = new Forwarding(stream).run(echoPort);
    await until(() => echoSockets.length === before + 1, "the pod's connection");
    const podSide = echoSockets.at(-1) as Socket;
    const closed = new Promise<void>((resolve) => podSide.once("close", () => resolve()));
    stream.onReset();
    expect(await done).toBeNull();
    await closed;
  });

  test("a connection the pod resets: the read error is the reason", async () => {
    const resetting = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", () => resolve()));
    const address = resetting.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const stream = new FakeStream();
    const done = new Forwarding(stream).run(port);
    stream.onData(new TextEncoder().encode("hello"));
    expect(await done).toMatch(
      new RegExp(
        `^read tcp4 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection reset by peer$`,
      ),
    );
    expect(stream.ended).toBe(true);
    resetting.close();
  });

  test("a refused connection is the reason, as Go's dialer words it", async () => {
    const stream = new FakeStream();
    const port = await closedPort();
    const reason = await new Forwarding(stream).run(port);
    expect(reason).toBe(
      `failed to connect to localhost:${port} in the pod's network, IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused`,
    );
    // Finishing the stream is the caller's, after it has reported the reason.
    expect(stream.ended).toBe(false);
  });
});

let server: AgentServer;
let target: UpgradeTarget;
const locator = new FakeLocator();

beforeAll(async () => {
  echo = createServer({ allowHalfOpen: true }, (socket) => {
    echoSockets.push(socket);
    socket.on("data", (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on("end", () => socket.end());
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", () => resolve()));
  const address = echo.address();
  echoPort = typeof address === "object" && address ? address.port : 0;

  const ca = await CertificateAuthority.create({ commonName: "test-ca" });
  const serving = await ca.issue({
    commonName: "agent",
    ipAddresses: ["127.0.0.1"],
    usages: ["serverAuth"],
    validityDays: 1,
  });
  const client = await ca.issue({
    commonName: "kube-apiserver-kubelet-client",
    usages: ["clientAuth"],
    validityDays: 1,
  });
  locator.add({ namespace: "ns", name: "p", uid: "u-1", containers: [] });
  server = new AgentServer({
    host: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem ?? "",
    caPem: ca.certPem,
    locator,
    log: new Logger("port-forward-test"),
  });
  target = {
    port: await server.start(),
    ca: ca.certPem,
    cert: client.certPem,
    key: client.keyPem ?? "",
  };
});

afterAll(async () => {
  await server?.stop();
  for (const socket of echoSockets) socket.destroy();
  await new Promise<void>((resolve) => (echo ? echo.close(() => resolve()) : resolve()));
});

/** A SPDY/3.1 upgrade of /portForward, as kubectl ≤ 1.30 sends it. */
function spdyUpgrade(path: string, versions = ["portforward.k8s.io"]) {
  return upgradeRequest(target, "POST", path, [
    "Connection: Upgrade",
    "Upgrade: SPDY/3.1",
    ...versions.map((v) => `X-Stream-Protocol-Version: ${v}`),
    "Content-Length: 0",
  ]);
}

/** One forwarded connection's streams, as client-go's handleConnection opens them. */
async function openPair(spdy: SpdyTestClient, port: number, requestId: string) {
  const headers = { port: [String(port)], requestid: [requestId] };
  const error = await spdy.open({ streamtype: ["error"], ...headers });
  // client-go does not write on the error stream: it closes its half at once.
  spdy.write(error, "", true);
  const data = await spdy.open({ streamtype: ["data"], ...headers });
  await until(() => spdy.replies.has(error) && spdy.replies.has(data), "SYN_REPLY");
  return { error, data };
}

describe("port-forward over SPDY/3.1", () => {
  test("negotiates portforward.k8s.io; each stream pair is a connection to the port", async () => {
    const upgraded = await spdyUpgrade("/portForward/ns/p");
    expect(upgraded.status).toBe(101);
    expect(upgraded.header("upgrade")).toBe("SPDY/3.1");
    expect(upgraded.header("x-stream-protocol-version")).toBe("portforward.k8s.io");
    const spdy = SpdyTestClient.onSocket(upgraded.socket, upgraded.rest);
    const first = await openPair(spdy, echoPort, "0");
    const second = await openPair(spdy, echoPort, "1");
    spdy.write(first.data, "one");
    spdy.write(second.data, "two");
    await until(() => spdy.text(first.data) === "ONE" && spdy.text(second.data) === "TWO");
    // The client's FIN: the pod sees EOF and closes; the agent finishes both streams.
    spdy.write(first.data, "", true);
    await until(() => spdy.finished.has(first.data) && spdy.finished.has(first.error), "FINs");
    expect(spdy.text(first.error)).toBe("");
    // kubectl resets the data stream once it has read it all; the other pair goes on.
    spdy.reset(second.data);
    await until(() => spdy.finished.has(second.error), "the second error stream's FIN");
    expect(spdy.text(second.error)).toBe("");
    upgraded.socket.destroy();
  });

  test("a refused connection: the kubelet's message on the error stream", async () => {
    const port = await closedPort();
    const upgraded = await spdyUpgrade("/portForward/ns/p/u-1");
    const spdy = SpdyTestClient.onSocket(upgraded.socket, upgraded.rest);
    const pair = await openPair(spdy, port, "7");
    await until(() => spdy.finished.has(pair.error) && spdy.finished.has(pair.data), "FINs");
    expect(spdy.text(pair.error)).toStartWith(
      `error forwarding port ${port} to pod p_ns, uid u-1: failed to connect to localhost:${port} in the pod's network, IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused`,
    );
    expect(spdy.text(pair.data)).toBe("");
    upgraded.socket.destroy();
  });

  test("streams without a valid port or type are reset; a pair's second error stream is refused", async () => {
    const upgraded = await spdyUpgrade("/portForward/ns/p");
    const spdy = SpdyTestClient.onSocket(upgraded.socket, upgraded.rest);
    const noPort = await spdy.open({ streamtype: ["data"], requestid: ["1"] });
    const badType = await spdy.open({ streamtype: ["stdout"], port: ["80"], requestid: ["1"] });
    await until(() => spdy.resets.has(noPort) && spdy.resets.has(badType), "RST_STREAM");
    const headers = { port: [String(echoPort)], requestid: ["2"] };
    const error = await spdy.open({ streamtype: ["error"], ...headers });
    const extra = await spdy.open({ streamtype: ["error"], ...headers });
    await until(() => spdy.finished.has(extra), "the extra stream's end");
    expect(spdy.text(error)).toBe(
      "error processing stream for request 2: error stream already assigned",
    );
    // The pair still completes and forwards.
    const data = await spdy.open({ streamtype: ["data"], ...headers });
    spdy.write(data, "still");
    await until(() => spdy.text(data) === "STILL");
    upgraded.socket.destroy();
  });

  test("a pair that never completes: the timeout on its error stream", async () => {
    // The agent's side of a plain TCP connection, with a short stream creation timeout.
    const forwards: SpdyPortForward[] = [];
    const listener = createServer((socket) => {
      const connection = new SpdyConnection(socket, Buffer.alloc(0));
      forwards.push(
        new SpdyPortForward(
          connection,
          { pod: "p_ns", uid: "u-1" },
          {
            streamCreationTimeoutMs: 50,
          },
        ),
      );
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", () => resolve()));
    const address = listener.address();
    const socket = connect({
      host: "127.0.0.1",
      port: typeof address === "object" && address ? address.port : 0,
    });
    const spdy = new SpdyTestClient((bytes) => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => spdy.receive(chunk));
    const error = await spdy.open({ streamtype: ["error"], port: ["80"], requestid: ["9"] });
    await until(() => spdy.finished.has(error), "the error stream's end");
    expect(spdy.text(error)).toBe("(conn=p_ns, request=9) timed out waiting for streams");
    socket.destroy();
    for (const forward of forwards) forward.terminate();
    listener.close();
  });

  test("old clients without requestID: pairs by stream id (error n, data n+2)", async () => {
    const upgraded = await spdyUpgrade("/portForward/ns/p");
    const spdy = SpdyTestClient.onSocket(upgraded.socket, upgraded.rest);
    const error = await spdy.open({ streamtype: ["error"], port: [String(echoPort)] });
    const data = await spdy.open({ streamtype: ["data"], port: [String(echoPort)] });
    expect(data).toBe(error + 2);
    spdy.write(data, "old");
    await until(() => spdy.text(data) === "OLD");
    upgraded.socket.destroy();
  });

  test("errors before the upgrade: protocol, pod", async () => {
    const wrong = await spdyUpgrade("/portForward/ns/p", ["v4.channel.k8s.io"]);
    expect(wrong.status).toBe(403);
    expect(JSON.parse((await readBody(wrong)).split("\r\n").at(-1) ?? "").message).toBe(
      "unable to upgrade: unable to negotiate protocol: client supports [v4.channel.k8s.io], server accepts [portforward.k8s.io]",
    );
    const none = await spdyUpgrade("/portForward/ns/p", []);
    expect(none.status).toBe(400);
    expect(await readBody(none)).toContain("X-Stream-Protocol-Version is required");
    const missing = await spdyUpgrade("/portForward/ns/nope");
    expect(missing.status).toBe(404);
    expect(await readBody(missing)).toContain('pod \\"nope\\" does not exist');
    const otherUid = await spdyUpgrade("/portForward/ns/p/u-2");
    expect(otherUid.status).toBe(404);
    await readBody(otherUid);
  });
});

describe("port-forward: SPDY tunneled in a WebSocket (kubectl ≥ 1.31)", () => {
  test("answers SPDY/3.1+portforward.k8s.io; SPDY bytes in binary messages, any boundaries", async () => {
    const { ws, upgraded } = await RawWebSocket.open(target, "/portForward/ns/p", [
      "SPDY/3.1+portforward.k8s.io",
    ]);
    expect(upgraded.status).toBe(101);
    expect(upgraded.header("sec-websocket-protocol")).toBe("SPDY/3.1+portforward.k8s.io");
    if (!ws) throw new Error("no WebSocket");
    // Every SPDY write split in two messages: the tunnel is a byte stream.
    const spdy = new SpdyTestClient((bytes) => {
      const half = Math.ceil(bytes.length / 2);
      ws.sendBinary(bytes.subarray(0, half));
      ws.sendBinary(bytes.subarray(half));
    });
    ws.onMessage = (message) => {
      expect(message.binary).toBe(true);
      spdy.receive(message.data);
    };
    const pair = await openPair(spdy, echoPort, "0");
    spdy.write(pair.data, "tunneled");
    await until(() => spdy.text(pair.data) === "TUNNELED");
    spdy.write(pair.data, "", true);
    await until(() => spdy.finished.has(pair.error), "the error stream's FIN");
    // A normal close ends the tunnel, and the SPDY connection with it.
    ws.close(1000);
    await ws.closed;
  });

  test("a text message breaks the tunnel", async () => {
    const { ws } = await RawWebSocket.open(target, "/portForward/ns/p", [
      "SPDY/3.1+portforward.k8s.io",
    ]);
    if (!ws) throw new Error("no WebSocket");
    ws.sendText("not SPDY");
    await ws.closed;
  });

  test("tunneling protocols that are not Kubernetes ones, or not portforward.k8s.io", async () => {
    const foreign = await RawWebSocket.open(target, "/portForward/ns/p", ["SPDY/3.1+foo"]);
    expect(foreign.upgraded.status).toBe(400);
    expect(await readBody(foreign.upgraded)).toContain(
      "unable to upgrade: no tunneling spdy protocols provided",
    );
    const other = await RawWebSocket.open(target, "/portForward/ns/p", [
      "SPDY/3.1+v4.channel.k8s.io",
    ]);
    expect(other.upgraded.status).toBe(403);
    expect(await readBody(other.upgraded)).toContain(
      "client supports [v4.channel.k8s.io], server accepts [portforward.k8s.io]",
    );
  });
});

describe("port-forward over WebSocket channels", () => {
  test("v4.channel.k8s.io: the port first on both channels of each pair, then data", async () => {
    const port = await closedPort();
    const { ws, upgraded } = await RawWebSocket.open(
      target,
      `/portForward/ns/p?port=${echoPort},${port}`,
      ["v5.channel.k8s.io", "v4.channel.k8s.io"],
    );
    expect(upgraded.status).toBe(101);
    expect(upgraded.header("sec-websocket-protocol")).toBe("v4.channel.k8s.io");
    if (!ws) throw new Error("no WebSocket");
    await until(() => ws.messages.length >= 4, "the port messages");
    const le = (p: number) => [p & 0xff, p >> 8];
    expect(ws.messages.slice(0, 4).map((m) => [...m.data])).toEqual([
      [0, ...le(echoPort)],
      [1, ...le(echoPort)],
      [2, ...le(port)],
      [3, ...le(port)],
    ]);
    // The second port's connection fails: its error channel says why.
    await until(() => ws.messages.some((m) => m.data[0] === 3 && m.data.length > 3), "error");
    const error = ws.messages.find((m) => m.data[0] === 3 && m.data.length > 3);
    expect(error?.data.subarray(1).toString()).toStartWith(
      `error forwarding port ${port} to pod p_ns, uid u-1: failed to connect to localhost:${port}`,
    );
    ws.sendBinary(Buffer.from("\x00channel zero"));
    const echoed = () =>
      Buffer.concat(
        ws.messages
          .slice(4)
          .filter((m) => m.data[0] === 0)
          .map((m) => m.data.subarray(1)),
      );
    await until(() => echoed().toString() === "CHANNEL ZERO", "the echo");
    // The pod's side closes: once every port is done the agent closes normally.
    const podSide = echoSockets.at(-1) as Socket;
    podSide.end();
    await ws.closed;
    expect(ws.closeCode).toBe(1000);
  });

  test("v4.base64.channel.k8s.io: channel digits and base64, the port too", async () => {
    const { ws, upgraded } = await RawWebSocket.open(target, `/portForward/ns/p?port=${echoPort}`, [
      "v4.base64.channel.k8s.io",
    ]);
    expect(upgraded.header("sec-websocket-protocol")).toBe("v4.base64.channel.k8s.io");
    if (!ws) throw new Error("no WebSocket");
    await until(() => ws.messages.length >= 2, "the port messages");
    const portText = `${Buffer.from([echoPort & 0xff, echoPort >> 8]).toString("base64")}`;
    expect(ws.messages.slice(0, 2).map((m) => [m.binary, m.data.toString()])).toEqual([
      [false, `0${portText}`],
      [false, `1${portText}`],
    ]);
    ws.sendText(`0${Buffer.from("b64").toString("base64")}`);
    await until(() => ws.messages.length >= 3, "the echo");
    expect(ws.messages[2]?.data.toString()).toBe(`0${Buffer.from("B64").toString("base64")}`);
    ws.close();
    await ws.closed;
  });

  test('no subprotocol is channel.k8s.io framing (as upstream\'s "")', async () => {
    const { ws, upgraded } = await RawWebSocket.open(
      target,
      `/portForward/ns/p?port=${echoPort}`,
      [],
    );
    expect(upgraded.status).toBe(101);
    expect(upgraded.header("sec-websocket-protocol")).toBeUndefined();
    if (!ws) throw new Error("no WebSocket");
    await until(() => ws.messages.length >= 2, "the port messages");
    expect([...(ws.messages[0]?.data ?? [])]).toEqual([0, echoPort & 0xff, echoPort >> 8]);
    ws.close();
    await ws.closed;
  });

  test("errors before the upgrade: ports required, protocols served", async () => {
    const noPorts = await RawWebSocket.open(target, "/portForward/ns/p", ["v4.channel.k8s.io"]);
    expect(noPorts.upgraded.status).toBe(400);
    expect(await readBody(noPorts.upgraded)).toContain('query parameter \\"port\\" is required');
    const v1 = await RawWebSocket.open(target, `/portForward/ns/p?port=${echoPort}`, [
      "channel.k8s.io",
    ]);
    expect(v1.upgraded.status).toBe(403);
    expect(await readBody(v1.upgraded)).toContain("requested protocol(s) are not supported");
  });

  test("without an upgrade: 400", async () => {
    const plain = await upgradeRequest(target, "GET", `/portForward/ns/p?port=${echoPort}`, [
      "Connection: close",
    ]);
    expect(plain.status).toBe(400);
    expect(await readBody(plain)).toContain("Upgrade request required");
  });
});
