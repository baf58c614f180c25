import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The system openssl, as an independent checker of what src/tls produces.
 * Throws with openssl's stderr when it exits non-zero.
 */
export function openssl(args: string[], stdin?: string | Uint8Array): string {
  const result = Bun.spawnSync(["openssl", ...args], {
    stdin: stdin === undefined ? "ignore" : Buffer.from(stdin),
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `openssl ${args.join(" ")} failed (${result.exitCode}): ${result.stderr.toString()}`,
    );
  }
  return result.stdout.toString();
}

/** Raw stdout bytes of an openssl command. */
export function opensslBytes(args: string[], stdin?: string | Uint8Array): Uint8Array {
  const result = Bun.spawnSync(["openssl", ...args], {
    stdin: stdin === undefined ? "ignore" : Buffer.from(stdin),
  });
  if (result.exitCode !== 0)
    throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr.toString()}`);
  return new Uint8Array(result.stdout);
}

/** The SAN entries of a certificate file as openssl prints them ("DNS:x", "IP Address:y"). */
export function subjectAltNames(certFile: string): string[] {
  const lines = openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", certFile])
    .trim()
    .split("\n");
  return (lines[1] ?? "")
    .trim()
    .split(", ")
    .filter((entry) => entry !== "");
}

/** A scratch directory; call `remove` in afterAll. */
export function scratchDir(): {
  path: string;
  file(name: string, content: string): string;
  remove(): void;
} {
  const path = mkdtempSync(join(tmpdir(), "kubun-tls-"));
  return {
    path,
    file(name, content) {
      const file = join(path, name);
      writeFileSync(file, content);
      return file;
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
