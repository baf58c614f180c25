import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../../src/log/logger.ts";
import { MemoryBacking } from "../../../src/node-agent/volumes/memory-backing.ts";
import { mountType, unmount } from "../../../src/node-agent/volumes/mounts.ts";

const root = await mkdtemp(join(tmpdir(), "memory-backing-"));
afterAll(() => rm(root, { recursive: true, force: true }));

describe("MemoryBacking", () => {
  test("mounts a tmpfs once; a directory already on tmpfs is left alone", async () => {
    const memory = new MemoryBacking(new Logger("test"));
    expect(await memory.ensure(root, 1024n * 1024n)).toBe(true);
    expect(await mountType(root)).toBe("tmpfs");
    expect(await memory.ensure(root)).toBe(true);
    await unmount(root);
    expect(await mountType(root)).not.toBe("tmpfs");
    expect(memory.limitations).toEqual([]);
  });

  test("where mounting fails, volumes stay directories and the limitation is reported once", async () => {
    const memory = new MemoryBacking(new Logger("test"));
    expect(await memory.ensure(join(root, "missing/dir"))).toBe(false);
    expect(memory.limitations).toHaveLength(1);
    expect(memory.limitations[0]).toContain("memory-backed volumes");
    // Not retried: the next volume is a plain directory straight away.
    expect(await memory.ensure(root)).toBe(false);
    expect(await mountType(root)).not.toBe("tmpfs");
    expect(memory.limitations).toHaveLength(1);
  });
});
