/** From a waitpid(2) status to the ExitStatus the pod worker reports. */
import { constants } from "node:os";
import type { ExitStatus } from "../runtime.ts";

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

export function signalName(signal: number): string {
  return signalNames.get(signal) ?? `SIG${signal}`;
}

/**
 * A signal exit becomes 128 + n, as shells (and the kubelet) report it; an OOM
 * kill in the container's memory cgroup makes the reason OOMKilled, whatever
 * the code.
 */
export function exitStatusFromWait(
  waitStatus: number,
  finishedAt: Date,
  oomKilled: boolean,
): ExitStatus {
  const signal = waitStatus & 0x7f;
  const exitCode = signal === 0 ? (waitStatus >> 8) & 0xff : 128 + signal;
  const reason = oomKilled ? "OOMKilled" : exitCode === 0 ? "Completed" : "Error";
  return signal === 0
    ? { exitCode, reason, finishedAt }
    : { exitCode, reason, signal: signalName(signal), finishedAt };
}
