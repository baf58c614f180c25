import "reflect-metadata";
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  bootstrapTokenSecret,
  generateBootstrapToken,
  parseBootstrapToken,
  tokenFromSecret,
} from "../auth/tokens/bootstrap-token.ts";
import { caCertHash } from "../auth/tokens/ca-cert-hash.ts";
import type { ApiClient } from "../client/api-client.ts";
import { ApiError } from "../client/api-error.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { KubeObject } from "../resources/kind.ts";
import { adminClient, clientFlags } from "./admin-client.ts";
import { parseFlagsAndArgs } from "./args.ts";
import { parseDurationSeconds } from "./durations.ts";

export const tokenFlags = {
  ...clientFlags,
  ttl: {
    type: "string",
    description: "lifetime of a new token (e.g. 24h, 30m; 0 for no expiry)",
    default: "24h",
  },
  description: { type: "string", description: "description stored with a new token" },
  server: {
    type: "string",
    description: "API server URL to print in the join command (default: the advertised endpoint)",
  },
} as const;

export const tokenUsage = `Usage:
  kubun token create [--ttl 24h] [--description TEXT]   create a bootstrap token, print the join command
  kubun token list                                       list bootstrap tokens
  kubun token delete ID|TOKEN…                           delete bootstrap tokens
`;

const secrets = (name?: string) =>
  resourcePath({
    version: "v1",
    resource: "secrets",
    namespace: BOOTSTRAP_TOKEN_NAMESPACE,
    ...(name !== undefined ? { name } : {}),
  });

/** `kubun token`: bootstrap tokens for joining nodes (kubeadm's `token` command). */
export async function runToken(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const { values: flags, positionals: positional } = parseFlagsAndArgs(rest, tokenFlags);
  if (verb !== "delete" && positional.length > 0) {
    throw new Error(`unexpected argument: ${positional[0]}`);
  }
  const client = await adminClient(flags);
  switch (verb) {
    case "create":
      return create(client, flags);
    case "list":
      return list(client);
    case "delete":
      return remove(client, positional);
    default:
      process.stderr.write(tokenUsage);
      return 2;
  }
}

async function create(
  client: ApiClient,
  flags: {
    ttl?: string | undefined;
    description?: string | undefined;
    server?: string | undefined;
  },
): Promise<number> {
  const ttl = flags.ttl === "0" ? 0 : parseDurationSeconds("ttl", flags.ttl ?? "24h");
  const token = generateBootstrapToken();
  const parsed = parseBootstrapToken(token);
  if (!parsed) throw new Error("generated a malformed token");
  await client.create(
    secrets(),
    bootstrapTokenSecret({
      ...parsed,
      ttlSeconds: ttl,
      ...(flags.description ? { description: flags.description } : {}),
    }),
  );
  const server = flags.server ?? (await advertisedServer(client));
  const caPem = client.config.ca;
  if (!caPem) throw new Error("the kubeconfig has no certificate-authority-data to pin");
  process.stdout.write(
    `kubun agent --server ${server} --token ${token} --ca-cert-hash ${caCertHash(caPem)}\n`,
  );
  return 0;
}

async function list(client: ApiClient): Promise<number> {
  const { items } = await client.list(secrets(), {
    fieldSelector: "type=bootstrap.kubernetes.io/token",
  });
  const rows = [["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"]];
  for (const secret of items) {
    const info = tokenFromSecret(secret);
    if (!info) continue;
    rows.push([
      `${info.id}.${info.secret}`,
      info.expiration ? ttlLeft(info.expiration) : "<forever>",
      info.expiration ?? "<never>",
      info.usages.join(",") || "<none>",
      info.description ?? "<none>",
      info.groups.join(",") || "<none>",
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows) {
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("   ")
        .trimEnd()}\n`,
    );
  }
  return 0;
}

async function remove(client: ApiClient, tokens: string[]): Promise<number> {
  if (tokens.length === 0)
    throw new Error("name the tokens to delete: kubun token delete ID|TOKEN…");
  let failed = 0;
  for (const token of tokens) {
    const id = parseBootstrapToken(token)?.id ?? token;
    if (!/^[a-z0-9]{6}$/.test(id)) {
      process.stderr.write(`"${token}" is neither a token ID nor a token\n`);
      failed++;
      continue;
    }
    try {
      await client.delete(secrets(BOOTSTRAP_TOKEN_SECRET_PREFIX + id));
      process.stdout.write(`bootstrap token "${id}" deleted\n`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status.code === 404)) throw error;
      process.stderr.write(`bootstrap token "${id}" not found\n`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

/** The endpoint nodes should use: the `kubernetes` Service's endpoints, else the kubeconfig's server. */
async function advertisedServer(client: ApiClient): Promise<string> {
  try {
    const endpoints = await client.get<KubeObject>(
      resourcePath({
        version: "v1",
        resource: "endpoints",
        namespace: "default",
        name: "kubernetes",
      }),
    );
    const subset = (
      endpoints.subsets as { addresses?: { ip: string }[]; ports?: { port: number }[] }[]
    )?.[0];
    const ip = subset?.addresses?.[0]?.ip;
    const port = subset?.ports?.[0]?.port;
    if (ip && port) return `https://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
  return client.config.server;
}

function ttlLeft(expiration: string): string {
  const seconds = Math.floor((Date.parse(expiration) - Date.now()) / 1000);
  if (!(seconds > 0)) return "<expired>";
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`;
  return `${seconds}s`;
}
