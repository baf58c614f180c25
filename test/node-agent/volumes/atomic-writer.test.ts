import { afterAll, describe, expect, test } from "bun:test";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Payload, writeAtomically } from "../../../src/node-agent/volumes/atomic-writer.ts";

const root = await mkdtemp(join(tmpdir(), "atomic-writer-"));
afterAll(() => rm(root, { recursive: true, force: true }));
let counter = 0;
const target = () => join(root, `volume-${++counter}`);

const text = (value: string, mode = 0o644) => ({ data: new TextEncoder().encode(value), mode });
const payload = (entries: Record<string, ReturnType<typeof text>>): Payload =>
  new Map(Object.entries(entries));
const tsDirs = async (dir: string) =>
  (await readdir(dir)).filter((name) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./.test(name));

describe("writeAtomically", () => {
  test("lays files out behind ..data and one link per top-level name", async () => {
    const dir = target();
    const changed = await writeAtomically(
      dir,
      payload({ a: text("A"), "nested/b": text("B", 0o600), "nested/deeper/c": text("C") }),
    );
    expect(changed).toBe(true);
    const [ts] = await tsDirs(dir);
    expect(ts).toBeDefined();
    expect(await readlink(join(dir, "..data"))).toBe(ts as string);
    expect(await readlink(join(dir, "a"))).toBe("..data/a");
    expect(await readlink(join(dir, "nested"))).toBe("..data/nested");
    expect(await readFile(join(dir, "a"), "utf8")).toBe("A");
    expect(await readFile(join(dir, "nested/deeper/c"), "utf8")).toBe("C");
    expect((await stat(join(dir, "nested/b"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, ts as string))).mode & 0o777).toBe(0o755);
    expect((await readdir(dir)).sort()).toEqual(["..data", ts as string, "a", "nested"].sort());
  });

  test("unchanged content is not rewritten", async () => {
    const dir = target();
    await writeAtomically(dir, payload({ a: text("A") }));
    const before = await readlink(join(dir, "..data"));
    expect(await writeAtomically(dir, payload({ a: text("A") }))).toBe(false);
    expect(await readlink(join(dir, "..data"))).toBe(before);
  });

  test("an update switches ..data, prunes removed names and removes the old dir", async () => {
    const dir = target();
    await writeAtomically(dir, payload({ a: text("A"), b: text("B"), "sub/c": text("C") }));
    const before = await readlink(join(dir, "..data"));
    // Same second as the first write: the random suffix keeps the dirs apart.
    expect(await writeAtomically(dir, payload({ a: text("A2"), d: text("D") }))).toBe(true);
    const after = await readlink(join(dir, "..data"));
    expect(after).not.toBe(before);
    expect(await tsDirs(dir)).toEqual([after]);
    expect(await readFile(join(dir, "a"), "utf8")).toBe("A2");
    expect(await readFile(join(dir, "d"), "utf8")).toBe("D");
    expect((await readdir(dir)).sort()).toEqual(["..data", after, "a", "d"].sort());
  });

  test("a mode change alone is an update", async () => {
    const dir = target();
    await writeAtomically(dir, payload({ a: text("A", 0o644) }));
    expect(await writeAtomically(dir, payload({ a: text("A", 0o400) }))).toBe(true);
    expect((await stat(join(dir, "a"))).mode & 0o777).toBe(0o400);
  });

  test("an empty payload gives an empty volume with ..data", async () => {
    const dir = target();
    expect(await writeAtomically(dir, new Map())).toBe(true);
    expect((await lstat(join(dir, "..data"))).isSymbolicLink()).toBe(true);
    expect((await readdir(dir)).filter((name) => !name.startsWith(".."))).toEqual([]);
  });

  test("leftovers of an interrupted update are cleaned up", async () => {
    const dir = target();
    await writeAtomically(dir, payload({ a: text("A") }));
    await mkdir(join(dir, "..2001_01_01_00_00_00.crash"));
    await writeAtomically(dir, payload({ a: text("B") }));
    expect(await tsDirs(dir)).toEqual([await readlink(join(dir, "..data"))]);
  });

  test.each([
    ["/abs", "invalid path: must be relative path: /abs"],
    ["a/../b", "invalid path: must not contain '..': a/../b"],
    ["..hidden", "invalid path: must not start with '..': ..hidden"],
    ["", "invalid path: must not be empty"],
    [`${"x".repeat(256)}`, "filenames must be less than or equal to 255 characters"],
  ])("rejects the path %j", async (path, message) => {
    await expect(writeAtomically(target(), payload({ [path]: text("x") }))).rejects.toThrow(
      message,
    );
  });
});
