#!/usr/bin/env bun
import { gitVersion, kubunVersion } from "../version.ts";
import { agentFlags, runAgent } from "./agent.ts";
import { formatFlags } from "./args.ts";
import { hollowFlags, runHollow } from "./hollow.ts";
import { kubeconfigFlags, runKubeconfig } from "./kubeconfig.ts";
import { runServer, serverFlags } from "./server.ts";
import { runToken, tokenFlags, tokenUsage } from "./token.ts";

const usage = `kubun ${kubunVersion}: a Kubernetes-compatible control plane and node agent

Usage:
  kubun server [flags]     start a server on the embedded PostgreSQL (or --datastore)
  kubun agent --server URL --token T --ca-cert-hash H   join a cluster as a node
  kubun hollow --count N --server URL --token T --ca-cert-hash H   simulate N nodes
  kubun token create|list|delete   bootstrap tokens for joining nodes
  kubun kubeconfig --user NAME [--group G]…   issue a client certificate and kubeconfig
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
    case "agent":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(`Usage: kubun agent [flags]\n\n${formatFlags(agentFlags)}\n`);
        return 0;
      }
      return runAgent(rest);
    case "hollow":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(
          `Usage: kubun hollow --count N [flags]\n\n${formatFlags(hollowFlags)}\n`,
        );
        return 0;
      }
      return runHollow(rest);
    case "token":
      if (rest.length === 0 || rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(`${tokenUsage}\nFlags:\n${formatFlags(tokenFlags)}\n`);
        return rest.length === 0 ? 2 : 0;
      }
      return runToken(rest);
    case "kubeconfig":
      if (rest.includes("--help") || rest.includes("-h")) {
        process.stdout.write(
          `Usage: kubun kubeconfig --user NAME [--group G]… [flags]\n\n${formatFlags(kubeconfigFlags)}\n`,
        );
        return 0;
      }
      return runKubeconfig(rest);
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
