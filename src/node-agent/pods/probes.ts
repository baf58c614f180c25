/**
 * Container probes (startup, liveness, readiness) as the kubelet runs them:
 * exec, httpGet and tcpSocket handlers, and a runner that applies
 * initialDelaySeconds, periodSeconds, timeoutSeconds and the success and
 * failure thresholds, reporting each change of result.
 */
import { connect } from "node:net";
import type { ContainerHandle } from "../runtime/runtime.ts";

export interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: {
    path?: string;
    port: number | string;
    host?: string;
    scheme?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  tcpSocket?: { port: number | string; host?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export type ProbeResult = "success" | "failure";

/** Resolves a named port (`containerPort` name) to its number. */
export type PortResolver = (port: number | string) => number | undefined;

/** One attempt of a probe's handler, bounded by its timeout. */
export async function probeOnce(
  spec: ProbeSpec,
  handle: ContainerHandle,
  podIp: string,
  resolvePort: PortResolver,
): Promise<{ result: ProbeResult; message: string }> {
  const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
  try {
    if (spec.exec?.command?.length) return await execProbe(spec.exec.command, handle, timeoutMs);
    if (spec.httpGet) return await httpProbe(spec.httpGet, podIp, resolvePort, timeoutMs);
    if (spec.tcpSocket) return await tcpProbe(spec.tcpSocket, podIp, resolvePort, timeoutMs);
    return { result: "failure", message: "probe has no handler" };
  } catch (error) {
    return { result: "failure", message: (error as Error).message };
  }
}

async function execProbe(command: string[], handle: ContainerHandle, timeoutMs: number) {
  const process = await handle.exec(command, { stdin: false, tty: false });
  const output = new Response(process.stdout).text();
  const timer = setTimeout(() => process.kill("SIGKILL"), timeoutMs);
  try {
    const code = await process.exited;
    if (code === 0) return { result: "success" as const, message: "" };
    return {
      result: "failure" as const,
      message: `command ${JSON.stringify(command)} exited with ${code}: ${(await output).trim()}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function httpProbe(
  spec: NonNullable<ProbeSpec["httpGet"]>,
  podIp: string,
  resolvePort: PortResolver,
  timeoutMs: number,
) {
  const port = resolvePort(spec.port);
  if (port === undefined) throw new Error(`unknown port ${spec.port}`);
  const scheme = (spec.scheme ?? "HTTP").toLowerCase();
  const host = spec.host || podIp;
  const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}${spec.path ?? "/"}`;
  const headers: Record<string, string> = { "user-agent": "kube-probe/1.33" };
  for (const header of spec.httpHeaders ?? []) headers[header.name] = header.value;
  const response = await fetch(url, {
    headers,
    signal: AbortSignal.timeout(timeoutMs),
    redirect: "manual",
    // HTTPS probes do not verify the certificate, as upstream.
    tls: { rejectUnauthorized: false },
  } as RequestInit);
  await response.arrayBuffer();
  if (response.status >= 200 && response.status < 400)
    return { result: "success" as const, message: "" };
  return {
    result: "failure" as const,
    message: `HTTP probe failed with statuscode: ${response.status}`,
  };
}

function tcpProbe(
  spec: NonNullable<ProbeSpec["tcpSocket"]>,
  podIp: string,
  resolvePort: PortResolver,
  timeoutMs: number,
): Promise<{ result: ProbeResult; message: string }> {
  const port = resolvePort(spec.port);
  if (port === undefined) return Promise.reject(new Error(`unknown port ${spec.port}`));
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host || podIp, port });
    const done = (result: ProbeResult, message: string) => {
      socket.destroy();
      resolve({ result, message });
    };
    socket.setTimeout(timeoutMs, () => done("failure", `dial tcp :${port}: i/o timeout`));
    socket.once("connect", () => done("success", ""));
    socket.once("error", (error) => done("failure", error.message));
  });
}

/**
 * Runs one probe periodically from a container's start and tells `onChange`
 * when its result flips (after the thresholds). Startup probes stop at their
 * first success.
 */
export class ProbeRunner {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private successes = 0;
  private failures = 0;
  private stopped = false;
  /** Unknown until the first threshold is met. */
  result: ProbeResult | undefined;
  lastMessage = "";

  constructor(
    private readonly spec: ProbeSpec,
    private readonly attempt: () => Promise<{ result: ProbeResult; message: string }>,
    private readonly onChange: (result: ProbeResult, message: string) => void,
    private readonly stopOnSuccess = false,
  ) {}

  start(): void {
    this.schedule((this.spec.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  private async run(): Promise<void> {
    const { result, message } = await this.attempt();
    if (this.stopped) return;
    this.lastMessage = message;
    if (result === "success") {
      this.failures = 0;
      this.successes++;
      if (this.successes >= (this.spec.successThreshold ?? 1)) this.set("success", message);
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= (this.spec.failureThreshold ?? 3)) this.set("failure", message);
    }
    if (this.stopOnSuccess && this.result === "success") return;
    this.schedule((this.spec.periodSeconds ?? 10) * 1000);
  }

  private set(result: ProbeResult, message: string): void {
    if (this.result === result) return;
    this.result = result;
    this.onChange(result, message);
  }
}
