/**
 * A minimal transaction-mode pooler (PgBouncer `pool_mode=transaction`) for tests:
 * each client connection is served by several backend connections, and every
 * transaction (every exchange that ends idle) may go to a different one. What a
 * client sees as "its session" is not one backend, which is the trap for session
 * state such as advisory locks.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

/** Splits complete protocol messages (type byte + int32 length) off the front of a buffer. */
function takeMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 5) {
    const length = buffer.readInt32BE(offset + 1);
    if (buffer.length - offset < 1 + length) break;
    messages.push(buffer.subarray(offset, offset + 1 + length));
    offset += 1 + length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

class Backend {
  #buffer: Buffer = Buffer.alloc(0);
  #onMessage: ((message: Buffer) => void) | undefined;

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      const { messages, rest } = takeMessages(Buffer.concat([this.#buffer, chunk]));
      this.#buffer = rest;
      for (const message of messages) this.#onMessage?.(message);
    });
  }

  /** From now on every reply goes to `each`. */
  listen(each: (message: Buffer) => void): void {
    this.#onMessage = each;
  }

  /** Sends `bytes` and hands every reply to `each` until ReadyForQuery; resolves with its status. */
  exchange(bytes: Buffer, each: (message: Buffer) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      this.socket.once("close", () => reject(new Error("backend closed")));
      this.#onMessage = (message) => {
        each(message);
        if (message[0] === 0x5a) resolve(String.fromCharCode(message[5] ?? 0x49));
      };
      this.socket.write(bytes);
    });
  }
}

export interface TransactionPooler {
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 and serves clients from `backends` connections each to `socketPath`. */
export async function startTransactionPooler(
  socketPath: string,
  backends = 2,
): Promise<TransactionPooler> {
  const clients = new Set<Socket>();
  const server: Server = createServer((client) => {
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", () => {});
    void serve(client, socketPath, backends).catch(() => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () =>
      new Promise((resolve) => {
        for (const client of clients) client.destroy();
        server.close(() => resolve());
      }),
  };
}

async function serve(client: Socket, socketPath: string, count: number): Promise<void> {
  let buffer: Buffer = Buffer.alloc(0);
  const pending: Buffer[] = [];
  let wake: (() => void) | undefined;
  client.on("data", (chunk: Buffer) => {
    pending.push(chunk);
    wake?.();
  });
  const read = async (): Promise<void> => {
    while (pending.length === 0) {
      if (client.destroyed) throw new Error("client gone");
      await new Promise<void>((resolve) => {
        wake = resolve;
        client.once("close", resolve);
      });
    }
    buffer = Buffer.concat([buffer, ...pending.splice(0)]);
  };
  // Startup: answer SSL/GSS requests with 'N', then replay the startup packet to every backend.
  let startup: Buffer | undefined;
  while (!startup) {
    await read();
    while (buffer.length >= 8) {
      const length = buffer.readInt32BE(0);
      if (buffer.length < length) break;
      const packet = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      const code = packet.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSS_REQUEST) client.write("N");
      else startup = packet;
    }
  }
  const pool = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const socket = connect({ path: socketPath });
      socket.on("error", () => client.destroy());
      client.on("close", () => socket.destroy());
      const backend = new Backend(socket);
      // The first backend's greeting (auth, parameters, key data) is the client's.
      await backend.exchange(startup as Buffer, (message) => {
        if (i === 0) client.write(message);
      });
      return backend;
    }),
  );
  let next = 0;
  let current = pool[0] as Backend;
  let awaitingReady = false;
  const held: Buffer[] = [];
  const send = (message: Buffer) => {
    if (awaitingReady) {
      held.push(message);
      return;
    }
    current.socket.write(message);
    // Sync ends an extended-protocol exchange; Query is a whole simple one.
    if (message[0] === 0x53 || message[0] === 0x51) awaitingReady = true;
  };
  for (const backend of pool) {
    backend.listen((reply) => {
      client.write(reply);
      if (reply[0] !== 0x5a || backend !== current) return;
      awaitingReady = false;
      // Idle again: the transaction is over and the next one may go anywhere.
      if (reply[5] === 0x49) {
        next = (next + 1) % pool.length;
        current = pool[next] as Backend;
      }
      for (const message of held.splice(0)) send(message);
    });
  }
  for (;;) {
    const { messages, rest } = takeMessages(buffer);
    buffer = rest;
    for (const message of messages) {
      if (message[0] === 0x58) {
        client.destroy();
        return;
      }
      send(message);
    }
    await read();
  }
}
