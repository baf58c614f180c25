/**
 * Reading container logs in the CRI format the runtime writes, one line per
 * output line: `<RFC3339Nano time> <stdout|stderr> <F|P>[:tags] <text>`, P for
 * a partial line (the text continues on the next line of the same stream), as
 * the kubelet's kuberuntime/logs does for `kubectl logs`.
 */
import { type FileHandle, open, stat } from "node:fs/promises";

export type LogStream = "stdout" | "stderr";

/** One parsed line of a CRI log file. */
export interface CriRecord {
  /** The time as written (RFC3339Nano). */
  timestamp: string;
  /** The same, in milliseconds since the epoch. */
  time: number;
  stream: LogStream;
  /** True for a `P` line: its text has no line ending of its own. */
  partial: boolean;
  content: Uint8Array;
}

const space = 0x20;
const newline = 0x0a;

/** Parses one line (without its trailing newline); null when it is not a CRI log line. */
export function parseCriLine(line: Uint8Array): CriRecord | null {
  const first = line.indexOf(space);
  if (first <= 0) return null;
  const second = line.indexOf(space, first + 1);
  if (second < 0) return null;
  const timestamp = decodeAscii(line.subarray(0, first));
  const stream = decodeAscii(line.subarray(first + 1, second));
  if (stream !== "stdout" && stream !== "stderr") return null;
  const time = Date.parse(timestamp);
  if (!Number.isFinite(time)) return null;
  // The tag field ("F", "P", or "P:…" with more tags) ends at the next space, or
  // at the end of an empty line ("… stdout F").
  let third = line.indexOf(space, second + 1);
  if (third < 0) third = line.length;
  const tags = decodeAscii(line.subarray(second + 1, third)).split(":");
  const partial = tags[0] === "P";
  if (!partial && tags[0] !== "F") return null;
  const content = line.subarray(Math.min(third + 1, line.length));
  return { timestamp, time, stream, partial, content };
}

function decodeAscii(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/**
 * A time as Go's RFC3339Nano prints it (what the kubelet writes with
 * `timestamps=true`): the fraction without trailing zeros, none when zero.
 */
export function formatRfc3339Nano(timestamp: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return timestamp;
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  return `${match[1]}${fraction ? `.${fraction}` : ""}${match[3]}`;
}

/** Where reading starts. */
export type LogStart = { from: "beginning" } | { from: "end" } | { from: "tail"; lines: number };

export interface RecordReadOptions {
  start: LogStart;
  /**
   * Follow the file as it grows until `exited` resolves and the file is drained
   * (the kubelet's follow: one instance, one file). Without it, reading stops
   * at the end of the file.
   */
  follow: boolean;
  /** The instance's end; null for an instance that has already ended. */
  exited: Promise<unknown> | null;
  signal?: AbortSignal | undefined;
  /** How often a follower looks at the file when nothing told it to (ms). */
  pollMs?: number;
}

const chunkSize = 64 * 1024;

/**
 * The records of a CRI log file, in batches as they are read. A missing file
 * reads as empty (the runtime creates it with the instance's first output);
 * malformed lines are skipped, as the kubelet does.
 */
export async function* readCriRecords(
  path: string,
  options: RecordReadOptions,
): AsyncGenerator<CriRecord[]> {
  const pollMs = options.pollMs ?? 100;
  let ended = options.exited === null;
  options.exited?.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  let file: FileHandle | null = null;
  let offset = 0;
  let firstOpen = true;
  let pending: Uint8Array = new Uint8Array(0);
  const buffer = new Uint8Array(chunkSize);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      if (!file) {
        file = await openIfExists(path);
        // A file that appears later holds only output written since: all of it is new.
        if (file && firstOpen) offset = await startOffset(file, options.start);
        firstOpen = false;
      }
      let progressed = false;
      if (file) {
        const size = (await file.stat()).size;
        // A truncated file (rotated in place) is read again from its start.
        if (size < offset) {
          offset = 0;
          pending = new Uint8Array(0);
        }
        while (offset < size) {
          const { bytesRead } = await file.read(buffer, 0, chunkSize, offset);
          if (bytesRead <= 0) break;
          offset += bytesRead;
          progressed = true;
          const data = concat(pending, buffer.subarray(0, bytesRead));
          const end = data.lastIndexOf(newline);
          if (end < 0) {
            pending = data;
            continue;
          }
          pending = data.slice(end + 1);
          const records = parseLines(data.subarray(0, end));
          if (records.length > 0) yield records;
          if (options.signal?.aborted) return;
        }
      }
      if (progressed) continue;
      // At the end of what is there: done, unless following a running instance.
      const finished = !options.follow || ended;
      if (finished) {
        // Look once more after the end was seen: output written just before it.
        if (options.follow && !(await drained(file, offset, path))) continue;
        if (pending.length > 0) {
          const last = parseCriLine(pending);
          if (last) yield [last];
        }
        return;
      }
      // Rotated while followed: what is left of the old file was read; go on with the new one.
      if (file && (await rotatedAway(file, path))) {
        await file.close();
        file = null;
        offset = 0;
        continue;
      }
      await waitForChange(options.exited, pollMs, options.signal);
    }
  } finally {
    await file?.close();
  }
}

/** Whether `path` now names another file than the open one (the log was rotated). */
async function rotatedAway(file: FileHandle, path: string): Promise<boolean> {
  const current = await stat(path).catch(() => null);
  return current !== null && current.ino !== (await file.stat()).ino;
}

/** Whether nothing was added since `offset` (a file that appeared late counts as new). */
async function drained(file: FileHandle | null, offset: number, path: string): Promise<boolean> {
  if (file) return (await file.stat()).size <= offset;
  const appeared = await openIfExists(path);
  if (!appeared) return true;
  await appeared.close();
  return false;
}

function parseLines(data: Uint8Array): CriRecord[] {
  const records: CriRecord[] = [];
  let start = 0;
  while (start <= data.length) {
    let end = data.indexOf(newline, start);
    if (end < 0) end = data.length;
    const record = parseCriLine(data.subarray(start, end));
    if (record) records.push(record);
    start = end + 1;
  }
  return records;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function startOffset(file: FileHandle, start: LogStart): Promise<number> {
  if (start.from === "beginning") return 0;
  const size = (await file.stat()).size;
  if (start.from === "end") return size;
  return tailStart(file, size, start.lines);
}

/**
 * The offset of the last `lines` lines, as the kubelet's
 * FindTailLineStartIndex: just after the (lines+1)-th newline from the end, so
 * an unterminated last line is read but not counted.
 */
async function tailStart(file: FileHandle, size: number, lines: number): Promise<number> {
  const buffer = new Uint8Array(chunkSize);
  let position = size;
  let found = 0;
  while (position > 0) {
    const length = Math.min(chunkSize, position);
    position -= length;
    await file.read(buffer, 0, length, position);
    for (let i = length - 1; i >= 0; i--) {
      if (buffer[i] !== newline) continue;
      found++;
      if (found === lines + 1) return position + i + 1;
    }
  }
  return 0;
}

function waitForChange(
  exited: Promise<unknown> | null,
  pollMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, pollMs);
    signal?.addEventListener("abort", done, { once: true });
    exited?.then(done, done);
  });
}

/** The options of `GET /containerLogs/…` (PodLogOptions as the kubelet receives them). */
export interface LogOptions {
  follow: boolean;
  /** Only the last n lines; undefined for all. */
  tailLines?: number | undefined;
  /** Only lines at or after this time (ms since the epoch): sinceTime or now − sinceSeconds. */
  since?: number | undefined;
  timestamps: boolean;
  /** Stop after this many bytes of output. */
  limitBytes?: number | undefined;
  /** Which streams (PodLogsQuerySplitStreams); both when unset. */
  stream?: LogStream | undefined;
}

/**
 * A container instance's log as `kubectl logs` prints it: the text of each
 * line (the CRI prefix stripped, partial lines joined), prefixed by its time
 * when `timestamps` is set, filtered and limited as asked.
 */
export async function* readContainerLog(
  path: string,
  options: LogOptions,
  exited: Promise<unknown> | null,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  if (remaining <= 0) return;
  const start: LogStart =
    options.tailLines === undefined
      ? { from: "beginning" }
      : { from: "tail", lines: options.tailLines };
  for await (const batch of readCriRecords(path, {
    start,
    follow: options.follow,
    exited,
    signal,
  })) {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const record of batch) {
      if (options.since !== undefined && record.time < options.since) continue;
      if (options.stream && record.stream !== options.stream) continue;
      if (options.timestamps) {
        const prefix = encoder.encode(`${formatRfc3339Nano(record.timestamp)} `);
        parts.push(prefix);
        length += prefix.length;
      }
      parts.push(record.content);
      length += record.content.length;
      if (!record.partial) {
        parts.push(lineEnd);
        length += 1;
      }
    }
    if (length === 0) continue;
    let chunk = join(parts, length);
    if (chunk.length >= remaining) {
      chunk = chunk.subarray(0, remaining);
      yield chunk;
      return;
    }
    remaining -= chunk.length;
    yield chunk;
  }
}

const lineEnd = new Uint8Array([newline]);

function join(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
