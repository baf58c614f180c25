import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatRfc3339Nano,
  type LogOptions,
  parseCriLine,
  readContainerLog,
} from "../../../src/node-agent/server/cri-log.ts";

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cri-log-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const encoder = new TextEncoder();

async function logFile(content: string): Promise<string> {
  const path = join(dir, `${++counter}.log`);
  await writeFile(path, content);
  return path;
}

async function read(
  path: string,
  options: Partial<LogOptions> = {},
  exited: Promise<unknown> | null = null,
): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of readContainerLog(
    path,
    { follow: false, timestamps: false, ...options },
    exited,
  )) {
    text += decoder.decode(chunk, { stream: true });
  }
  return text;
}

const sample = [
  "2024-05-01T10:00:00.100000000Z stdout F one",
  "2024-05-01T10:00:01.000000000Z stderr F two",
  "2024-05-01T10:00:02.123450000Z stdout P thr",
  "2024-05-01T10:00:02.200000000Z stdout F ee",
  "2024-05-01T10:00:03Z stdout F ",
  "2024-05-01T10:00:04.5+02:00 stdout F four",
  "",
].join("\n");

describe("CRI log lines", () => {
  test("parse into time, stream, partial flag and text", () => {
    const record = parseCriLine(encoder.encode("2024-05-01T10:00:00.1Z stderr P a b "));
    expect(record).toMatchObject({
      timestamp: "2024-05-01T10:00:00.1Z",
      time: Date.parse("2024-05-01T10:00:00.1Z"),
      stream: "stderr",
      partial: true,
    });
    expect(new TextDecoder().decode(record?.content)).toBe("a b ");
    expect(parseCriLine(encoder.encode("2024-05-01T10:00:00Z stdout F:x y"))?.partial).toBe(false);
    expect(parseCriLine(encoder.encode("2024-05-01T10:00:00Z stdout F"))?.content.length).toBe(0);
    expect(parseCriLine(encoder.encode("not a log line"))).toBeNull();
    expect(parseCriLine(encoder.encode("2024-05-01T10:00:00Z stdin F x"))).toBeNull();
    expect(parseCriLine(encoder.encode("yesterday stdout F x"))).toBeNull();
  });

  test("timestamps print as Go's RFC3339Nano", () => {
    expect(formatRfc3339Nano("2024-05-01T10:00:00.123450000Z")).toBe("2024-05-01T10:00:00.12345Z");
    expect(formatRfc3339Nano("2024-05-01T10:00:00.000000000Z")).toBe("2024-05-01T10:00:00Z");
    expect(formatRfc3339Nano("2024-05-01T10:00:00.5+02:00")).toBe("2024-05-01T10:00:00.5+02:00");
  });
});

describe("reading a container log", () => {
  test("strips the prefix and joins partial lines", async () => {
    expect(await read(await logFile(sample))).toBe("one\ntwo\nthree\n\nfour\n");
  });

  test("timestamps prefix every line (each part of a partial one)", async () => {
    expect(await read(await logFile(sample), { timestamps: true })).toBe(
      [
        "2024-05-01T10:00:00.1Z one\n",
        "2024-05-01T10:00:01Z two\n",
        "2024-05-01T10:00:02.12345Z thr",
        "2024-05-01T10:00:02.2Z ee\n",
        "2024-05-01T10:00:03Z \n",
        "2024-05-01T10:00:04.5+02:00 four\n",
      ].join(""),
    );
  });

  test("tailLines counts file lines from the end", async () => {
    const path = await logFile(sample);
    expect(await read(path, { tailLines: 2 })).toBe("\nfour\n");
    expect(await read(path, { tailLines: 3 })).toBe("ee\n\nfour\n");
    expect(await read(path, { tailLines: 0 })).toBe("");
    expect(await read(path, { tailLines: 100 })).toBe("one\ntwo\nthree\n\nfour\n");
  });

  test("tailLines does not count an unterminated last line", async () => {
    const path = await logFile(`${sample}2024-05-01T10:00:05Z stdout F five`);
    expect(await read(path, { tailLines: 1 })).toBe("four\nfive\n");
  });

  test("since skips earlier lines", async () => {
    const path = await logFile(sample);
    // "four" was written at 08:00:04.5Z (+02:00): before.
    expect(await read(path, { since: Date.parse("2024-05-01T10:00:01Z") })).toBe("two\nthree\n\n");
    expect(await read(path, { since: Date.parse("2024-05-01T10:00:02.15Z") })).toBe("ee\n\n");
  });

  test("limitBytes cuts the output, mid-line if need be", async () => {
    const path = await logFile(sample);
    expect(await read(path, { limitBytes: 6 })).toBe("one\ntw");
    expect(await read(path, { limitBytes: 1000 })).toBe("one\ntwo\nthree\n\nfour\n");
  });

  test("a stream can be selected", async () => {
    const path = await logFile(sample);
    expect(await read(path, { stream: "stderr" })).toBe("two\n");
  });

  test("skips malformed lines; a missing file is empty", async () => {
    const path = await logFile(`garbage\n${sample}`);
    expect(await read(path)).toBe("one\ntwo\nthree\n\nfour\n");
    expect(await read(join(dir, "missing.log"))).toBe("");
  });

  test("follow reads what is appended until the instance exits and the file is drained", async () => {
    const path = await logFile(criLine("first"));
    const { chunks, exit, done } = follow(path, { follow: true, timestamps: false });
    await until(() => chunks.join("") === "first\n");
    await appendFile(path, criLine("second"));
    await until(() => chunks.join("") === "first\nsecond\n");
    // Written just before the exit: still delivered.
    await appendFile(path, `${criLine("last")}2024-05-01T10:00:00Z stdout F unterminated`);
    exit(0);
    await done;
    expect(chunks.join("")).toBe("first\nsecond\nlast\nunterminated\n");
  });

  test("follow goes on in the new file when the log is rotated", async () => {
    const path = await logFile(criLine("first"));
    const { chunks, exit, done } = follow(path, { follow: true, timestamps: false });
    await until(() => chunks.join("") === "first\n");
    await appendFile(path, criLine("before rotation"));
    await rename(path, `${path}.1`);
    await writeFile(path, criLine("after rotation"));
    await until(() => chunks.join("") === "first\nbefore rotation\nafter rotation\n");
    exit(0);
    await done;
    expect(chunks.join("")).toBe("first\nbefore rotation\nafter rotation\n");
  });

  test("follow with tailLines 0 shows only new lines; a late file is read whole", async () => {
    const path = join(dir, "late.log");
    const { chunks, exit, done } = follow(path, { follow: true, timestamps: false, tailLines: 0 });
    // The reader must have looked (and found no file) before the file appears:
    // nothing observable says so, hence a pause rather than a condition.
    await Bun.sleep(150);
    await writeFile(path, criLine("hello"));
    await until(() => chunks.join("") === "hello\n");
    exit(0);
    await done;
    expect(chunks.join("")).toBe("hello\n");
  });

  test("follow of an ended instance reads to the end and stops", async () => {
    const path = await logFile(sample);
    expect(await read(path, { follow: true }, null)).toBe("one\ntwo\nthree\n\nfour\n");
  });
});

function criLine(text: string): string {
  return `${new Date().toISOString()} stdout F ${text}\n`;
}

/** Follows a log in the background until `exit` is called, collecting its output. */
function follow(path: string, options: LogOptions) {
  let exit: (value: unknown) => void = () => {};
  const exited = new Promise((resolve) => {
    exit = resolve;
  });
  const chunks: string[] = [];
  const done = (async () => {
    for await (const chunk of readContainerLog(path, options, exited)) {
      chunks.push(new TextDecoder().decode(chunk));
    }
  })();
  return { chunks, exit, done };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await Bun.sleep(10);
  }
  throw new Error("timed out");
}
