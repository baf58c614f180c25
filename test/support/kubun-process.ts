import { join } from "node:path";
import type { Subprocess } from "bun";

const main = join(import.meta.dir, "../../src/cli/main.ts");

/** A `kubun` child process with its output collected, for end-to-end tests. */
export class KubunProcess {
  stdout = "";
  stderr = "";
  private readonly child: Subprocess<"ignore", "pipe", "pipe">;
  private readonly reading: Promise<void>;
  private waiters: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = Bun.spawn(["bun", main, ...args], {
      env: { ...process.env, ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.reading = Promise.all([
      this.collect(this.child.stdout, "stdout"),
      this.collect(this.child.stderr, "stderr"),
    ]).then(() => {});
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Resolves when stdout or stderr matches; rejects if the process exits first. */
  async waitFor(pattern: RegExp): Promise<void> {
    if (pattern.test(this.stdout) || pattern.test(this.stderr)) return;
    const matched = new Promise<void>((resolve) => this.waiters.push({ pattern, resolve }));
    const exited = this.child.exited.then((code) => {
      if (pattern.test(this.stdout) || pattern.test(this.stderr)) return;
      throw new Error(
        `kubun exited (${code}) before printing ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
      );
    });
    await Promise.race([matched, exited]);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits for exit and all output. */
  async exited(): Promise<number | null> {
    await this.child.exited;
    await this.reading;
    return this.child.exitCode;
  }

  private async collect(
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
  ): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this[name] += decoder.decode(chunk, { stream: true });
      const text = this.stdout + this.stderr;
      this.waiters = this.waiters.filter((w) => {
        if (!w.pattern.test(text)) return true;
        w.resolve();
        return false;
      });
    }
  }
}

/** Runs `kubun ARGS` to completion. */
export async function runKubun(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const process = new KubunProcess(args);
  const code = await process.exited();
  return { code, stdout: process.stdout, stderr: process.stderr };
}
