/**
 * A stand-in agent for the crash test: starts two containers, prints their
 * ids and log paths as one JSON line, then waits to be killed with SIGKILL.
 * Usage: bun agent-process.ts <stateDir> <logDir> <sharedDir>
 */
import { newRuntime, request } from "./helpers.ts";

const [stateDir, logDir, shared] = process.argv.slice(2);
if (!stateDir || !logDir || !shared)
  throw new Error("usage: agent-process.ts <stateDir> <logDir> <sharedDir>");

const runtime = newRuntime(stateDir);
const mounts = [{ hostPath: shared, containerPath: "/shared", readOnly: false }];
const long = await runtime.start(
  request(logDir, {
    containerName: "long",
    argv: ["sh", "-c", 'echo started; read line; echo "got $line"; exit 42'],
    stdin: true,
    mounts,
  }),
);
const quick = await runtime.start(
  request(logDir, {
    containerName: "quick",
    argv: [
      "sh",
      "-c",
      "until [ -e /shared/go-quick ] || [ $((i += 1)) -gt 3000 ]; do sleep 0.02; done; echo quick-done; exit 3",
    ],
    mounts,
  }),
);
const line = {
  long: { containerId: long.containerId, attempt: long.attempt },
  quick: { containerId: quick.containerId },
};
process.stdout.write(`${JSON.stringify(line)}\n`);
// Killed by the test; gives up by itself should the test not get that far.
setTimeout(() => process.exit(1), 120_000);
