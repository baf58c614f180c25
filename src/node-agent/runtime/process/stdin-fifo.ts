/**
 * The main process's stdin: a FIFO in the container's state directory. The
 * supervisor holds it open read-write, so the container sees no end of input
 * when the agent (the writer) goes away, and a restarted agent opens it again.
 * Closing the stream tells the supervisor to let go (stdinOnce semantics): the
 * container then reads EOF.
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

export interface FifoStdin {
  stream: WritableStream<Uint8Array>;
  /** Releases the FIFO once the container has ended (later writes fail). */
  dispose(): Promise<void>;
}

export function fifoStdin(path: string, endOfInput: () => void): FifoStdin {
  let handle: FileHandle | undefined;
  let disposed = false;
  const release = async () => {
    const current = handle;
    handle = undefined;
    await current?.close();
  };
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (disposed) throw new Error("stdin: the container has ended");
      // Non-blocking: a container that does not read must not pin one of the
      // runtime's I/O threads; ENXIO (no reader) means the container has ended.
      handle ??= await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
      let offset = 0;
      let backoff = 1;
      while (offset < chunk.byteLength && !disposed) {
        try {
          const { bytesWritten } = await handle.write(chunk, offset);
          offset += bytesWritten;
          backoff = 1;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
          await Bun.sleep(backoff);
          backoff = Math.min(backoff * 2, 100);
        }
      }
    },
    async close() {
      await release();
      endOfInput();
    },
    async abort() {
      await release();
    },
  });
  return {
    stream,
    async dispose() {
      disposed = true;
      await release();
    },
  };
}
