import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTls, type TLSSocket } from "node:tls";
import zlib from "node:zlib";
import { Logger } from "../../../src/log/logger.ts";
import { AgentServer } from "../../../src/node-agent/server/agent-server.ts";
import {
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  headerDictionary,
  negotiateStreamProtocol,
} from "../../../src/node-agent/server/spdy.ts";
import { CertificateAuthority } from "../../../src/tls/certificate-authority.ts";
import { FakeLocator, HostContainer } from "./fake-container.ts";

describe("SPDY pieces", () => {
  test("the SPDY/3 dictionary: 1423 bytes, length-prefixed words then text", () => {
    expect(headerDictionary.length).toBe(1423);
    expect(headerDictionary.subarray(0, 11)).toEqual(Buffer.from("\0\0\0\x07options", "latin1"));
    expect(headerDictionary.subarray(-9).toString()).toBe(",*,enq=0.");
  });

  test("header blocks round-trip, several values NUL-joined", () => {
    const block = encodeHeaderBlock({ streamtype: ["stdout"], Accept: ["a", "b"] });
    expect(block.readUInt32BE(0)).toBe(2);
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: ["stdout"], accept: ["a", "b"] });
  });

  test("the stream protocol is the first offered that is served", () => {
    const served = ["v4.channel.k8s.io"];
    expect(negotiateStreamProtocol(["v4.channel.k8s.io", "v3.channel.k8s.io"], served)).toBe(
      "v4.channel.k8s.io",
    );
    expect(negotiateStreamProtocol("v3.channel.k8s.io, v4.channel.k8s.io", served)).toBe(
      "v4.channel.k8s.io",
    );
    expect(negotiateStreamProtocol("v3.channel.k8s.io", served)).toBeNull();
    expect(negotiateStreamProtocol(undefined, served)).toBeNull();
  });
});

/** A minimal SPDY client, as client-go's executor drives exec: one stream per streamtype. */
class SpdyClient {
  readonly data = new Map<number, Buffer[]>();
  readonly finished = new Set<number>();
  readonly replies = new Set<number>();
  /** The compressed header blocks of the server's replies, in order. */
  readonly replyBlocks: Buffer[] = [];
  goAway = false;
  private buffer = Buffer.alloc(0);
  private readonly deflate = zlib.createDeflate({ dictionary: headerDictionary });
  private nextId = 1;
  closed: Promise<void>;

  constructor(private readonly socket: TLSSocket) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
  }

  private parse() {
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (this.buffer.length < 8 + length) return;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      const first = frame.readUInt32BE(0);
      const fin = ((frame[4] ?? 0) & 1) === 1;
      if ((first & 0x80000000) === 0) {
        const id = first & 0x7fffffff;
        this.data.set(id, [...(this.data.get(id) ?? []), frame.subarray(8)]);
        if (fin) this.finished.add(id);
      } else if ((first & 0xffff) === 2) {
        const id = frame.readUInt32BE(8) & 0x7fffffff;
        this.replyBlocks.push(frame.subarray(12));
        this.replies.add(id);
      } else if ((first & 0xffff) === 7) {
        this.goAway = true;
      }
    }
  }

  private compress(block: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const collect = (chunk: Buffer) => chunks.push(chunk);
      this.deflate.on("data", collect);
      this.deflate.write(block);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.deflate.off("data", collect);
        resolve(Buffer.concat(chunks));
      });
    });
  }

  async open(streamtype: string): Promise<number> {
    const id = this.nextId;
    this.nextId += 2;
    const block = await this.compress(encodeHeaderBlock({ streamtype: [streamtype] }));
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    this.socket.write(controlFrame(1, 0, Buffer.concat([head, block])));
    await until(() => this.replies.has(id));
    return id;
  }

  send(id: number, data: string, fin = false) {
    this.socket.write(dataFrame(id, fin ? 1 : 0, Buffer.from(data)));
  }

  ping(id: number) {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(id);
    this.socket.write(controlFrame(6, 0, payload));
  }

  text(id: number): string {
    return Buffer.concat(this.data.get(id) ?? []).toString();
  }
}

let dir: string;
let ca: CertificateAuthority;
let server: AgentServer;
let port: number;
let client: { cert: string; key: string };
const locator = new FakeLocator();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-spdy-"));
  ca = await CertificateAuthority.create({ commonName: "test-ca" });
  const serving = await ca.issue({
    commonName: "agent",
    ipAddresses: ["127.0.0.1"],
    usages: ["serverAuth"],
    validityDays: 1,
  });
  const issued = await ca.issue({
    commonName: "kube-apiserver-kubelet-client",
    usages: ["clientAuth"],
    validityDays: 1,
  });
  client = { cert: issued.certPem, key: issued.keyPem ?? "" };
  const handle = new HostContainer(
    { namespace: "ns", podName: "p", podUid: "u", containerName: "c" },
    join(dir, "c.log"),
  );
  locator.add({
    namespace: "ns",
    name: "p",
    containers: [{ name: "c", current: { logPath: handle.logPath, handle }, previous: null }],
  });
  server = new AgentServer({
    host: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem ?? "",
    caPem: ca.certPem,
    locator,
    log: new Logger("spdy-test"),
  });
  port = await server.start();
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function upgrade(path: string): Promise<{ socket: TLSSocket; head: string }> {
  const socket = connectTls({
    host: "127.0.0.1",
    port,
    ca: ca.certPem,
    cert: client.cert,
    key: client.key,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", reject);
  });
  socket.write(
    [
      `POST ${path} HTTP/1.1`,
      "Host: 127.0.0.1",
      "Connection: Upgrade",
      "Upgrade: SPDY/3.1",
      "X-Stream-Protocol-Version: v4.channel.k8s.io",
      "X-Stream-Protocol-Version: v3.channel.k8s.io",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"),
  );
  const head = await new Promise<string>((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      // Anything after the head would be SPDY already; the server writes none first.
      resolve(text.slice(0, end));
    };
    socket.on("data", onData);
  });
  return { socket, head };
}

describe("exec over SPDY", () => {
  test("streams, stdin with FIN, status on the error stream, then GOAWAY", async () => {
    const command = ["sh", "-c", "cat; echo err >&2; exit 2"]
      .map((c) => `command=${encodeURIComponent(c)}`)
      .join("&");
    const { socket, head } = await upgrade(`/exec/ns/p/c?${command}&input=1&output=1&error=1`);
    expect(head).toStartWith("HTTP/1.1 101");
    expect(head.toLowerCase()).toContain("upgrade: spdy/3.1");
    expect(head.toLowerCase()).toContain("x-stream-protocol-version: v4.channel.k8s.io");
    const spdy = new SpdyClient(socket);
    const error = await spdy.open("error");
    const stdin = await spdy.open("stdin");
    const stdout = await spdy.open("stdout");
    const stderr = await spdy.open("stderr");
    spdy.ping(1);
    spdy.send(stdin, "from stdin\n");
    spdy.send(stdin, "", true);
    await until(() => spdy.finished.has(error));
    expect(spdy.text(stdout)).toBe("from stdin\n");
    expect(spdy.text(stderr)).toBe("err\n");
    expect(JSON.parse(spdy.text(error))).toMatchObject({
      status: "Failure",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "2" }] },
    });
    expect(spdy.finished.has(stdout) && spdy.finished.has(stderr)).toBe(true);
    // The replies' header blocks are one zlib stream: four empty blocks (a zero count each).
    const headers = zlib.inflateSync(Buffer.concat(spdy.replyBlocks), {
      dictionary: headerDictionary,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(headers).toEqual(Buffer.alloc(16));
    await until(() => spdy.goAway);
    await spdy.closed;
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await Bun.sleep(10);
  }
  throw new Error("timed out");
}
