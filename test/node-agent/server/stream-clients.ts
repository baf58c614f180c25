/**
 * Minimal clients for the agent server's upgraded connections, byte for byte:
 * an HTTP upgrade over mutual TLS, a WebSocket client (RFC 6455 framing,
 * masked frames out), and a SPDY/3.1 client (as client-go's spdystream opens
 * streams) that writes through any transport: a socket or a WebSocket tunnel.
 */
import { randomBytes } from "node:crypto";
import { connect as connectTls, type TLSSocket } from "node:tls";
import zlib from "node:zlib";
import {
  controlFrame,
  dataFrame,
  encodeHeaderBlock,
  headerDictionary,
  type SpdyHeaders,
} from "../../../src/node-agent/server/spdy.ts";

export interface UpgradeTarget {
  port: number;
  ca: string;
  cert: string;
  key: string;
}

export interface Upgraded {
  socket: TLSSocket;
  /** The response head (status line and headers), without the blank line. */
  head: string;
  status: number;
  /** A header of the response (lower-case name), or undefined. */
  header(name: string): string | undefined;
  /** Bytes after the head (a body, or the first bytes of the protocol). */
  rest: Buffer;
}

/** Sends an upgrade request and reads the response head. */
export async function upgradeRequest(
  target: UpgradeTarget,
  method: string,
  path: string,
  headers: string[],
): Promise<Upgraded> {
  const socket = connectTls({
    host: "127.0.0.1",
    port: target.port,
    ca: target.ca,
    cert: target.cert,
    key: target.key,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", reject);
  });
  socket.write([`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...headers, "", ""].join("\r\n"));
  let buffer = Buffer.alloc(0);
  const end = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const at = buffer.indexOf("\r\n\r\n");
      if (at < 0) return;
      socket.off("data", onData);
      socket.pause();
      resolve(at);
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error("closed before a response head")));
  });
  const head = buffer.subarray(0, end).toString("latin1");
  const lines = head.split("\r\n");
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return {
    socket,
    head,
    status: Number(lines[0]?.split(" ")[1]),
    header: (name) => fields.get(name.toLowerCase()),
    rest: buffer.subarray(end + 4),
  };
}

/** Reads the rest of an error answer (until the server closes). */
export async function readBody(upgraded: Upgraded): Promise<string> {
  const chunks: Buffer[] = [upgraded.rest];
  upgraded.socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  upgraded.socket.resume();
  await new Promise<void>((resolve) => upgraded.socket.once("close", () => resolve()));
  return Buffer.concat(chunks).toString();
}

export interface WebSocketMessage {
  binary: boolean;
  data: Buffer;
}

/** A WebSocket client over an upgraded socket (after a 101). */
export class RawWebSocket {
  readonly messages: WebSocketMessage[] = [];
  /** The close frame's code, once received. */
  closeCode: number | null = null;
  readonly closed: Promise<void>;
  onMessage: (message: WebSocketMessage) => void = () => {};
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentBinary = false;

  constructor(
    private readonly socket: TLSSocket,
    rest: Buffer,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    if (rest.length > 0) this.receive(rest);
    socket.resume();
  }

  static async open(
    target: UpgradeTarget,
    path: string,
    protocols: string[],
  ): Promise<{ ws: RawWebSocket | null; upgraded: Upgraded }> {
    const upgraded = await upgradeRequest(target, "GET", path, [
      "Connection: Upgrade",
      "Upgrade: websocket",
      "Sec-WebSocket-Version: 13",
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
      ...(protocols.length > 0 ? [`Sec-WebSocket-Protocol: ${protocols.join(", ")}`] : []),
    ]);
    if (upgraded.status !== 101) return { ws: null, upgraded };
    return { ws: new RawWebSocket(upgraded.socket, upgraded.rest), upgraded };
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const first = this.buffer[0] as number;
      const second = this.buffer[1] as number;
      let length = second & 0x7f;
      let at = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buffer.length < at + length) return;
      const payload = Buffer.from(this.buffer.subarray(at, at + length));
      this.buffer = this.buffer.subarray(at + length);
      const opcode = first & 0x0f;
      const fin = (first & 0x80) !== 0;
      if (opcode === 8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.frame(8, Buffer.from(payload.subarray(0, 2)));
        this.socket.end();
        continue;
      }
      if (opcode === 9) {
        this.frame(10, payload);
        continue;
      }
      if (opcode === 10) continue;
      if (opcode === 1 || opcode === 2) {
        this.fragments = [payload];
        this.fragmentBinary = opcode === 2;
      } else if (opcode === 0) {
        this.fragments.push(payload);
      }
      if (fin) {
        const message = { binary: this.fragmentBinary, data: Buffer.concat(this.fragments) };
        this.fragments = [];
        this.messages.push(message);
        this.onMessage(message);
      }
    }
  }

  private frame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const mask = randomBytes(4);
    const length = payload.length;
    const head =
      length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | length])
        : length < 0x10000
          ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
          : (() => {
              const h = Buffer.alloc(10);
              h[0] = 0x80 | opcode;
              h[1] = 0x80 | 127;
              h.writeBigUInt64BE(BigInt(length), 2);
              return h;
            })();
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    this.socket.write(Buffer.concat([head, mask, masked]));
  }

  sendBinary(data: Uint8Array): void {
    this.frame(2, Buffer.from(data));
  }

  sendText(text: string): void {
    this.frame(1, Buffer.from(text));
  }

  close(code = 1000): void {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.frame(8, payload);
  }
}

/**
 * A SPDY/3.1 client, as client-go's spdystream drives one: streams opened
 * with header blocks compressed through one zlib context, data frames, FIN.
 * It writes through `send` and is fed the server's bytes with `receive`.
 */
export class SpdyTestClient {
  readonly data = new Map<number, Buffer[]>();
  readonly finished = new Set<number>();
  readonly replies = new Set<number>();
  readonly resets = new Set<number>();
  goAway = false;
  private buffer = Buffer.alloc(0);
  private readonly deflate = zlib.createDeflate({ dictionary: headerDictionary });
  private nextId = 1;

  constructor(private readonly send: (bytes: Buffer) => void) {}

  /** Over an upgraded socket. */
  static onSocket(socket: TLSSocket, rest: Buffer): SpdyTestClient {
    const client = new SpdyTestClient((bytes) => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => client.receive(chunk));
    if (rest.length > 0) client.receive(rest);
    socket.resume();
    return client;
  }

  receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (this.buffer.length < 8 + length) return;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      const first = frame.readUInt32BE(0);
      const fin = ((frame[4] ?? 0) & 1) === 1;
      if ((first & 0x80000000) === 0) {
        const id = first & 0x7fffffff;
        this.data.set(id, [...(this.data.get(id) ?? []), Buffer.from(frame.subarray(8))]);
        if (fin) this.finished.add(id);
        continue;
      }
      const type = first & 0xffff;
      if (type === 2) this.replies.add(frame.readUInt32BE(8) & 0x7fffffff);
      else if (type === 3) this.resets.add(frame.readUInt32BE(8) & 0x7fffffff);
      else if (type === 7) this.goAway = true;
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

  /** SYN_STREAM with these headers; resolves with its id once sent. */
  async open(headers: SpdyHeaders): Promise<number> {
    const id = this.nextId;
    this.nextId += 2;
    const block = await this.compress(encodeHeaderBlock(headers));
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    this.send(controlFrame(1, 0, Buffer.concat([head, block])));
    return id;
  }

  write(id: number, data: string | Uint8Array, fin = false): void {
    this.send(dataFrame(id, fin ? 1 : 0, typeof data === "string" ? Buffer.from(data) : data));
  }

  reset(id: number): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(id, 0);
    payload.writeUInt32BE(5, 4); // CANCEL
    this.send(controlFrame(3, 0, payload));
  }

  text(id: number): string {
    return Buffer.concat(this.data.get(id) ?? []).toString();
  }
}

/** Polls until `check` holds (at most ~5 s). */
export async function until(check: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}
