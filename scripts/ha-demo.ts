// An HA trio on one machine, for trying failover: one PostgreSQL (the embedded
// one, in <dir>/postgres) and three `kubun server`s on ports 6443-6445 sharing it
// and one server token. Ctrl-C stops everything.
//
//   bun scripts/ha-demo.ts [--dir /var/lib/kubun-ha] [--no-agent]
import { spawn } from "node:child_process";
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { logger } from "../src/log/logger.ts";
import { EmbeddedPostgres } from "../src/store/embedded-postgres.ts";
import { generateServerToken } from "../src/tls/bootstrap-data.ts";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: "/var/lib/kubun-ha" },
    "no-agent": { type: "boolean", default: false },
  },
});
const dir = values.dir ?? "/var/lib/kubun-ha";
await mkdir(dir, { recursive: true });
await chmod(dir, 0o755);
const say = (line: string) => process.stdout.write(`${line}\n`);

const pg = new EmbeddedPostgres({ dataDir: join(dir, "postgres"), log: logger("postgres") });
await mkdir(join(dir, "postgres"), { recursive: true });
await chmod(join(dir, "postgres"), 0o755);
await pg.start();
const { host, user, database } = pg.target;
const url = `postgres://${user}@localhost/${database}?host=${encodeURIComponent(host ?? "")}`;
const tokenFile = Bun.file(join(dir, "token"));
const token = (await tokenFile.exists()) ? (await tokenFile.text()).trim() : generateServerToken();
await Bun.write(tokenFile, `${token}\n`);

const main = join(import.meta.dir, "../src/cli/main.ts");
const servers = [1, 2, 3].map((n) => {
  const args = [
    main,
    "server",
    "--datastore",
    url,
    "--token",
    token,
    "--data-dir",
    join(dir, `server-${n}`),
    "--port",
    String(6442 + n),
    "--node-name",
    `server-${n}`,
    "--agent-port",
    String(10249 + n),
  ];
  // One agent is enough on one machine: the others would fight over its runtime.
  if (values["no-agent"] || n > 1) args.push("--no-agent");
  const child = spawn("bun", args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) say(`[server-${n}] ${line}`);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) say(`[server-${n}] ${line}`);
  });
  return child;
});

say(
  [
    "",
    "Three servers are starting on https://127.0.0.1:6443, :6444 and :6445.",
    `  export KUBECONFIG=${join(dir, "server-1", "admin.kubeconfig")}`,
    "  kubectl get lease kubun-leader -n kube-system   # who leads",
    `  kubun kubeconfig --data-dir ${join(dir, "server-1")} --user me --group system:masters \\`,
    "    --server https://127.0.0.1:6443 --server https://127.0.0.1:6444 --server https://127.0.0.1:6445",
    "Kill the leader's process to watch another take over. Ctrl-C stops everything.",
    "",
  ].join("\n"),
);

const stop = async () => {
  await Promise.all(
    servers.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(undefined);
          child.once("exit", resolve);
          child.kill("SIGTERM");
        }),
    ),
  );
  await pg.stop();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
