/**
 * The supervisor's input: NUL-separated key/value fields (perl-base has no JSON
 * parser, and NUL is the one byte argv, environment and paths cannot hold).
 * Lists repeat their key; a mount is "mnt" followed by three values.
 */
import type { Mount } from "../runtime.ts";

export interface SupervisorSpec {
  /** The overlay's merged directory (the container's /); "" to run on the host's /. */
  root: string;
  upper: string;
  work: string;
  /** A host directory to hide inside the container (the runtime's own state). */
  hide: string;
  logPath: string;
  tty: boolean;
  /** The stdin FIFO; "" when the container has no stdin. */
  stdinFifo: string;
  workingDir: string;
  argv: string[];
  env: Record<string, string>;
  /** cgroup directories the container's processes join. */
  cgroups: string[];
  mounts: Mount[];
  /** Linux syscall numbers for this architecture (the script falls back to commands without them). */
  syscalls: Partial<Record<"gettimeofday" | "setsid" | "mount", number>>;
}

/** The numbers the supervisor calls directly; x86-64, then the generic table of arm64 and riscv64. */
export function syscallNumbers(arch: string = process.arch): SupervisorSpec["syscalls"] {
  if (arch === "x64") return { gettimeofday: 96, setsid: 112, mount: 165 };
  if (arch === "arm64" || arch === "riscv64") return { gettimeofday: 169, setsid: 157, mount: 40 };
  return {};
}

export function encodeSpec(spec: SupervisorSpec): string {
  const fields: string[] = [
    "root",
    spec.root,
    "upper",
    spec.upper,
    "work",
    spec.work,
    "hide",
    spec.hide,
    "log",
    spec.logPath,
    "tty",
    spec.tty ? "1" : "0",
    "stdin",
    spec.stdinFifo,
    "wd",
    spec.workingDir,
  ];
  for (const [name, number] of Object.entries(spec.syscalls))
    fields.push(`nr_${name}`, String(number));
  for (const arg of spec.argv) fields.push("arg", arg);
  for (const [name, value] of Object.entries(spec.env)) {
    if (name === "" || name.includes("="))
      throw new Error(`invalid environment variable name ${JSON.stringify(name)}`);
    fields.push("env", `${name}=${value}`);
  }
  for (const dir of spec.cgroups) fields.push("cg", dir);
  for (const m of spec.mounts)
    fields.push("mnt", m.readOnly ? "1" : "0", m.hostPath, m.containerPath);
  for (const field of fields) {
    if (field.includes("\0"))
      throw new Error(`invalid container spec: NUL byte in ${JSON.stringify(field)}`);
  }
  return `${fields.join("\0")}\0`;
}
