/**
 * The server side of SPDY/3.1 as Kubernetes streaming uses it (moby/spdystream,
 * what kubectl ≤ 1.29 speaks for exec, attach and port-forward): the client
 * opens streams (SYN_STREAM, headers such as `streamtype: stdout`), the server
 * accepts each with a SYN_REPLY, data frames carry the bytes, FIN half-closes.
 * No flow control (spdystream has none); pings are answered.
 *
 * Frames: a control frame is `1 | version(15) | type(16) | flags(8) |
 * length(24) | payload`; a data frame `0 | stream id(31) | flags(8) |
 * length(24) | data`. Header blocks are zlib streams, one per direction for
 * the whole connection, primed with the SPDY/3 dictionary (ours are stored
 * uncompressed, which any inflater reads).
 */
import type { Duplex } from "node:stream";
import zlib from "node:zlib";

export const spdyProtocol = "SPDY/3.1";

const controlTypes = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

const flagFin = 0x01;
/** Data frames this server writes at most (the protocol allows 16 MiB). */
const maxDataFrame = 32 * 1024;

/**
 * The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): the
 * header block encoding (32-bit length, bytes) of these names and values,
 * followed by a run of common value text.
 */
const dictionaryWords = [
  "options",
  "head",
  "post",
  "put",
  "delete",
  "trace",
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "accept-ranges",
  "age",
  "allow",
  "authorization",
  "cache-control",
  "connection",
  "content-base",
  "content-encoding",
  "content-language",
  "content-length",
  "content-location",
  "content-md5",
  "content-range",
  "content-type",
  "date",
  "etag",
  "expect",
  "expires",
  "from",
  "host",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "pragma",
  "proxy-authenticate",
  "proxy-authorization",
  "range",
  "referer",
  "retry-after",
  "server",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "vary",
  "via",
  "warning",
  "www-authenticate",
  "method",
  "get",
  "status",
  "200 OK",
  "version",
  "HTTP/1.1",
  "url",
  "public",
  "set-cookie",
  "keep-alive",
  "origin",
];

const dictionaryText = [
  "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
  "203 Non-Authoritative Information",
  "204 No Content",
  "301 Moved Permanently",
  "400 Bad Request",
  "401 Unauthorized",
  "403 Forbidden",
  "404 Not Found",
  "500 Internal Server Error",
  "501 Not Implemented",
  "503 Service Unavailable",
  "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
  "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,",
  "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
].join("");

export const headerDictionary: Buffer = (() => {
  const parts: Buffer[] = [];
  for (const word of dictionaryWords) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(word.length);
    parts.push(length, Buffer.from(word, "latin1"));
  }
  parts.push(Buffer.from(dictionaryText, "latin1"));
  return Buffer.concat(parts);
})();

export type SpdyHeaders = Record<string, string[]>;

/** A header block, uncompressed: count, then (length, name, length, NUL-joined values). */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, values] of entries) {
    const key = Buffer.from(name.toLowerCase(), "utf8");
    const value = Buffer.from(values.join("\0"), "utf8");
    parts.push(u32(key.length), key, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let at = 0;
  const read = () => {
    if (at + 4 > block.length) throw new Error("truncated SPDY header block");
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) throw new Error("truncated SPDY header block");
    const text = block.subarray(at, at + length).toString("utf8");
    at += length;
    return text;
  };
  if (block.length < 4) throw new Error("truncated SPDY header block");
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    const value = read();
    headers[name] = [...(headers[name] ?? []), ...value.split("\0")];
  }
  return headers;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | 3, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | (payload.length & 0xffffff), 4);
  return Buffer.concat([header, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(streamId & 0x7fffffff, 0);
  header.writeUInt32BE(((flags & 0xff) << 24) | (data.length & 0xffffff), 4);
  return Buffer.concat([header, data]);
}

/** The length of the complete header block at the start of `data`, or -1 if it is not all there. */
function headerBlockLength(data: Buffer): number {
  if (data.length < 4) return -1;
  const count = data.readUInt32BE(0);
  let at = 4;
  for (let i = 0; i < count * 2; i++) {
    if (at + 4 > data.length) return -1;
    at += 4 + data.readUInt32BE(at);
    if (at > data.length) return -1;
  }
  return at;
}

/**
 * The client's header blocks, inflated through one zlib context. Each block
 * is sync-flushed, so the output of one frame is exactly one header block:
 * a block is done once all of it has come out (whatever order zlib's events
 * and the flush callback come in).
 */
class HeaderInflater {
  private readonly stream = zlib.createInflate({ dictionary: headerDictionary });
  private output: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (block: Buffer) => void; reject: (error: Error) => void } | null =
    null;
  private chain: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;

  constructor() {
    this.stream.on("data", (chunk: Buffer) => {
      this.output = this.output.length === 0 ? chunk : Buffer.concat([this.output, chunk]);
      this.deliver();
    });
    this.stream.on("error", (error: Error) => {
      this.failure = error;
      this.waiting?.reject(error);
      this.waiting = null;
    });
  }

  private deliver(): void {
    if (!this.waiting) return;
    const length = headerBlockLength(this.output);
    if (length < 0) return;
    const block = this.output.subarray(0, length);
    this.output = this.output.subarray(length);
    this.waiting.resolve(block);
    this.waiting = null;
  }

  /** The header block compressed in `input` (one frame's worth). */
  inflate(input: Buffer): Promise<Buffer> {
    const result = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          const timer = setTimeout(() => {
            this.waiting = null;
            reject(new Error("SPDY header block did not inflate"));
          }, 10_000);
          this.waiting = {
            resolve: (block) => {
              clearTimeout(timer);
              resolve(block);
            },
            reject: (error) => {
              clearTimeout(timer);
              reject(error);
            },
          };
          this.stream.write(input);
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => this.deliver());
        }),
    );
    this.chain = result.catch(() => {});
    return result;
  }

  close(): void {
    this.stream.destroy();
  }
}

/**
 * Our header blocks, in zlib format without compression: a zlib header once,
 * then per block a stored deflate block and an empty one (what a sync flush
 * ends with, which readers need to hand the data over). Valid for any
 * inflater, dictionary or not, and synchronous: frames are written in order.
 */
class HeaderDeflater {
  private started = false;

  deflate(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0x01: no preset dictionary, check bits.
      parts.push(Buffer.from([0x78, 0x01]));
    }
    for (let at = 0; at < block.length; at += 0xffff) {
      const piece = block.subarray(at, at + 0xffff);
      const header = Buffer.alloc(5);
      header[0] = 0x00;
      header.writeUInt16LE(piece.length, 1);
      header.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(header, piece);
    }
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** A stream the client opened. */
export class SpdyStream {
  /** Called with each data frame's bytes. */
  onData: (data: Uint8Array) => void = () => {};
  /** Called once when the client half-closes (FIN) or resets the stream. */
  onEnd: () => void = () => {};
  /**
   * Called once when the stream is abandoned: the client reset it
   * (RST_STREAM) or the connection ended, even after a FIN. Writes are
   * dropped from then on.
   */
  onReset: () => void = () => {};
  private remoteEnded = false;
  private localEnded = false;
  private isReset = false;

  constructor(
    private readonly connection: SpdyConnection,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {}

  /** The first value of a header. */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Writes data (in frames of at most 32 KiB); resolves once handed to the socket. */
  async write(data: Uint8Array): Promise<void> {
    if (this.localEnded) return;
    for (let at = 0; at < data.length; at += maxDataFrame) {
      await this.connection.send(dataFrame(this.id, 0, data.subarray(at, at + maxDataFrame)));
    }
  }

  /** Half-closes this side: an empty data frame with FIN. */
  async end(): Promise<void> {
    if (this.localEnded) return;
    this.localEnded = true;
    const sent = this.connection.send(dataFrame(this.id, flagFin, new Uint8Array(0)));
    if (this.remoteEnded) this.connection.forget(this.id);
    await sent;
  }

  /** @internal */
  receive(data: Uint8Array, fin: boolean): void {
    if (this.remoteEnded) return;
    if (data.length > 0) this.onData(data);
    if (fin) this.remoteFinished();
  }

  /** @internal */
  remoteFinished(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    // Both halves closed: the connection need not route frames here any more.
    if (this.localEnded) this.connection.forget(this.id);
    this.onEnd();
  }

  /** @internal The client reset the stream, or the connection is gone. */
  abandon(): void {
    if (this.isReset) return;
    this.isReset = true;
    this.localEnded = true;
    this.remoteFinished();
    this.onReset();
  }
}

/**
 * A SPDY/3.1 server connection on an upgraded socket. `onStream` decides
 * whether to accept each stream the client opens (accepted ones get their
 * SYN_REPLY before any data is written on them).
 */
export class SpdyConnection {
  onStream: (stream: SpdyStream) => boolean = () => true;
  readonly closed: Promise<void>;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private buffer: Buffer = Buffer.alloc(0);
  private processing: Promise<void> = Promise.resolve();
  private isClosed = false;
  private lastStreamId = 0;
  private markClosed: () => void = () => {};

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
  ) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("close", () => this.shutdown());
    socket.on("error", () => this.shutdown());
    socket.on("end", () => this.shutdown());
    if (head.length > 0) this.receive(head);
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Writes raw frame bytes in order; resolves once handed to the socket. */
  send(frame: Buffer): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.write(frame, () => resolve());
    });
  }

  /** Says goodbye (GOAWAY) and ends the connection once written. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    const payload = Buffer.concat([u32(this.lastStreamId), u32(0)]);
    await this.send(controlFrame(controlTypes.goAway, 0, payload));
    this.socket.end();
    this.shutdown();
  }

  /** @internal Stops routing frames to a stream that both sides have finished. */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Drops the connection. */
  destroy(): void {
    this.socket.destroy();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.abandon();
    this.inflater.close();
    this.markClosed();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.processing = this.processing.then(() => this.drain()).catch(() => this.destroy());
  }

  /** Handles every complete frame in the buffer, one after another. */
  private async drain(): Promise<void> {
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (this.buffer.length < 8 + length) return;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      await this.handle(frame);
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    const first = frame.readUInt32BE(0);
    const flags = frame[4] as number;
    const payload = frame.subarray(8);
    if ((first & 0x80000000) === 0) {
      this.streams.get(first & 0x7fffffff)?.receive(payload, (flags & flagFin) !== 0);
      return;
    }
    const type = first & 0xffff;
    switch (type) {
      case controlTypes.synStream:
        return this.synStream(payload, flags);
      case controlTypes.rstStream: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const stream = this.streams.get(id);
        this.streams.delete(id);
        stream?.abandon();
        return;
      }
      case controlTypes.ping:
        // Pings from the client (odd ids) are echoed; ours would be even.
        if ((payload.readUInt32BE(0) & 1) === 1) await this.send(frame);
        return;
      case controlTypes.goAway:
        this.socket.end();
        this.shutdown();
        return;
      case controlTypes.headers:
        // Headers after the start mean nothing here, but their block advances the context.
        await this.inflater.inflate(payload.subarray(4));
        return;
      default:
        // SETTINGS, WINDOW_UPDATE (no flow control), unknown types: ignored.
        return;
    }
  }

  private async synStream(payload: Buffer, flags: number): Promise<void> {
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    const headers = decodeHeaderBlock(await this.inflater.inflate(payload.subarray(10)));
    // Stream ids only grow (a finished stream's id is not reused).
    if (id === 0 || id <= this.lastStreamId) return this.reset(id, 1);
    this.lastStreamId = Math.max(this.lastStreamId, id);
    const stream = new SpdyStream(this, id, headers);
    if (!this.onStream(stream)) return this.reset(id, 3);
    this.streams.set(id, stream);
    const block = this.deflater.deflate(encodeHeaderBlock({}));
    await this.send(controlFrame(controlTypes.synReply, 0, Buffer.concat([u32(id), block])));
    if ((flags & flagFin) !== 0) stream.remoteFinished();
  }

  /** RST_STREAM: 1 protocol error, 3 refused. */
  private async reset(id: number, status: number): Promise<void> {
    await this.send(controlFrame(controlTypes.rstStream, 0, Buffer.concat([u32(id), u32(status)])));
  }
}

/**
 * The stream protocol of a SPDY upgrade: the first version the client offers
 * (X-Stream-Protocol-Version, one header per version or comma-separated) that
 * is served; null when none is.
 */
export function negotiateStreamProtocol(
  offered: string | string[] | undefined,
  served: readonly string[],
): string | null {
  const list = [offered ?? []]
    .flat()
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
  return list.find((protocol) => served.includes(protocol)) ?? null;
}
