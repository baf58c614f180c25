import { afterAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setUpHostPath } from "../../../src/node-agent/volumes/host-path.ts";

const root = await mkdtemp(join(tmpdir(), "host-path-"));
const dir = join(root, "dir");
const file = join(root, "file");
const socketPath = join(root, "sock");
await mkdir(dir);
await writeFile(file, "x");
await symlink(dir, join(root, "link-to-dir"));
const listener = Bun.listen({ unix: socketPath, socket: { data() {} } });
afterAll(async () => {
  listener.stop(true);
  await rm(root, { recursive: true, force: true });
});

async function failure(path: string, type?: string): Promise<string> {
  try {
    await setUpHostPath({ path, ...(type !== undefined ? { type } : {}) });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the type check to fail");
}

describe("hostPath type checks", () => {
  test.each([
    [dir, "Directory"],
    [join(root, "link-to-dir"), "Directory"],
    [file, "File"],
    [socketPath, "Socket"],
    ["/dev/null", "CharDevice"],
    [dir, ""],
    [file, undefined],
  ])("%s is a %s", async (path, type) => {
    expect(await setUpHostPath({ path, ...(type !== undefined ? { type } : {}) })).toBe(path);
  });

  test.each([
    [join(root, "missing"), "Directory", `hostPath ${join(root, "missing")} doesn't exist`],
    [file, "Directory", `hostPath type check failed: ${file} is not a directory, it's a File`],
    [dir, "File", `hostPath type check failed: ${dir} is not a file, it's a Directory`],
    [file, "Socket", `hostPath type check failed: ${file} is not a socket file, it's a File`],
    [
      dir,
      "CharDevice",
      `hostPath type check failed: ${dir} is not a character device, it's a Directory`,
    ],
    [
      "/dev/null",
      "BlockDevice",
      "hostPath type check failed: /dev/null is not a block device, it's a CharDevice",
    ],
    [
      file,
      "DirectoryOrCreate",
      `hostPath type check failed: ${file} is not a directory, it's a File`,
    ],
    [dir, "FileOrCreate", `hostPath type check failed: ${dir} is not a file, it's a Directory`],
    [dir, "Anything", "Anything is an invalid volume type"],
    ["/tmp/../etc", "", "invalid HostPath `/tmp/../etc`: must not contain '..'"],
  ])("%s as %s fails", async (path, type, message) => {
    expect(await failure(path, type)).toBe(message);
  });

  test("DirectoryOrCreate makes the directory and its parents (0755)", async () => {
    const path = join(root, "made/for/you");
    expect(await setUpHostPath({ path, type: "DirectoryOrCreate" })).toBe(path);
    const made = await stat(path);
    expect(made.isDirectory()).toBe(true);
    expect(made.mode & 0o777).toBe(0o755);
  });

  test("FileOrCreate makes an empty 0644 file but not its parent", async () => {
    const path = join(root, "new-file");
    expect(await setUpHostPath({ path, type: "FileOrCreate" })).toBe(path);
    const made = await stat(path);
    expect(made.isFile() && made.size).toBe(0);
    expect(made.mode & 0o777).toBe(0o644);
    const orphan = join(root, "no-parent/file");
    expect(await failure(orphan, "FileOrCreate")).toBe(`open ${orphan}: no such file or directory`);
  });

  test("an untyped missing path becomes a directory, as runtimes do for bind mounts", async () => {
    const path = join(root, "untyped/missing");
    expect(await setUpHostPath({ path })).toBe(path);
    expect((await stat(path)).isDirectory()).toBe(true);
  });
});
