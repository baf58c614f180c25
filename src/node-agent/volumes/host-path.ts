/**
 * hostPath volumes: the host path itself, after the type check the pod asks
 * for (creating it for DirectoryOrCreate / FileOrCreate), with the kubelet's
 * messages. With no type, a missing path becomes a directory, as container
 * runtimes do for bind mounts of missing host paths.
 */

import type { Stats } from "node:fs";
import { mkdir, open, stat } from "node:fs/promises";
import type { HostPathSource } from "./volume-types.ts";

export async function setUpHostPath(source: HostPathSource): Promise<string> {
  const path = source.path;
  if (path.split("/").includes("..")) {
    throw new Error(`invalid HostPath \`${path}\`: must not contain '..'`);
  }
  const type = source.type ?? "";
  switch (type) {
    case "":
      if (!(await statOrNull(path))) await mkdir(path, { recursive: true, mode: 0o755 });
      return path;
    case "DirectoryOrCreate":
      if (!(await statOrNull(path))) {
        await mkdir(path, { recursive: true, mode: 0o755 }).catch((error) => {
          throw goError("mkdir", path, error);
        });
        return path;
      }
      return expectType(path, "Directory", "directory");
    case "Directory":
      return expectType(path, "Directory", "directory");
    case "FileOrCreate":
      if (!(await statOrNull(path))) {
        // Like the kubelet: the file is created, its parent directory is not.
        const handle = await open(path, "a", 0o644).catch((error) => {
          throw goError("open", path, error);
        });
        await handle.close();
        return path;
      }
      return expectType(path, "File", "file");
    case "File":
      return expectType(path, "File", "file");
    case "Socket":
      return expectType(path, "Socket", "socket file");
    case "CharDevice":
      return expectType(path, "CharDevice", "character device");
    case "BlockDevice":
      return expectType(path, "BlockDevice", "block device");
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}

async function expectType(path: string, expected: string, description: string): Promise<string> {
  const stats = await statOrNull(path);
  if (!stats) throw new Error(`hostPath ${path} doesn't exist`);
  const actual = fileType(stats);
  if (!actual) {
    throw new Error(
      `hostPath type check failed, ${path} is not a ${description}, unable to determine its type: only recognise file, directory, socket, block device and character device`,
    );
  }
  if (actual !== expected) {
    throw new Error(
      `hostPath type check failed: ${path} is not a ${description}, it's a ${actual}`,
    );
  }
  return path;
}

/** The type names the kubelet reports (HostPathType values). */
function fileType(stats: Stats): string | undefined {
  if (stats.isSocket()) return "Socket";
  if (stats.isDirectory()) return "Directory";
  if (stats.isCharacterDevice()) return "CharDevice";
  if (stats.isBlockDevice()) return "BlockDevice";
  if (stats.isFile()) return "File";
  return undefined;
}

// stat follows symlinks: a link to a directory is a directory, a dangling link does not exist.
async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

const errnoText: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  ENOTDIR: "not a directory",
  EEXIST: "file exists",
  EROFS: "read-only file system",
  EISDIR: "is a directory",
};

/** `open /x/y: no such file or directory`, as the kubelet's Go errors read. */
function goError(op: string, path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return new Error(`${op} ${path}: ${errnoText[code] ?? (error as Error).message}`);
}
