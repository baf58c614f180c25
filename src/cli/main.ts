#!/usr/bin/env bun
import { gitVersion, kubunVersion } from "../version.ts";
import { formatFlags } from "./args.ts";
import { runServer, serverFlags } from "./server.ts";

const usage = `kubun ${kubunVersion}: a Kubernetes-compatible control plane and node agent

Usage:
  kubun server [flags]     start a server on the embedded PostgreSQL (or --datastore)
  kubun version            print versions
  kubun help               show this help

Server flags:
${formatFlags(serverFlags)}

Environment:
  KUBUN_LOG                log level: debug, info, warn, error (default info)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`kubun ${kubunVersion}\nkubernetes ${gitVersion}\nbun ${Bun.version}\n`);
      return 0;
    case "server":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(`Usage: kubun server [flags]\n\n${formatFlags(serverFlags)}\n`);
        return 0;
      }
      return runServer(rest);
    default:
      process.stderr.write(`kubun: unknown command "${command}"; run 'kubun help' for the list\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`kubun: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
