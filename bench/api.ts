// API benchmark: starts a real kubun server (embedded PostgreSQL, durable settings),
// drives it over HTTPS with a client certificate, and prints a table plus one JSON
// line. Baselines from the same run: the store's own write rate, and etcd's raw put
// rate when etcd is installed (apt-get install etcd-server).
import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { setLogLevel } from "../src/log/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { RevisionStore } from "../src/store/revision-store.ts";

setLogLevel("error");
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const watchers = Number(process.env.BENCH_WATCHERS ?? 1000);
const payload = "x".repeat(1000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function rate(
  workers: number,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let count = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(worker, i);
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

interface Server {
  url: string;
  tls: { ca: string; cert: string; key: string };
  dataDir: string;
  stop(): Promise<void>;
}

async function startKubun(): Promise<Server> {
  const dataDir = await mkdtemp(join(tmpdir(), "kubun-bench-api-"));
  await chmod(dataDir, 0o755);
  const child = spawn(
    "bun",
    [
      "src/cli/main.ts",
      "server",
      "--no-agent",
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--bind-address",
      "127.0.0.1",
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, KUBUN_LOG: "warn" },
    },
  );
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const match = /ready on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`kubun exited with ${code}`)));
  });
  const config = parseYaml(await readFile(join(dataDir, "admin.kubeconfig"), "utf8"));
  const user = config.users[0].user;
  const decode = (value: string) => Buffer.from(value, "base64").toString("utf8");
  return {
    url,
    dataDir,
    tls: {
      ca: decode(config.clusters[0].cluster["certificate-authority-data"]),
      cert: decode(user["client-certificate-data"]),
      key: decode(user["client-key-data"]),
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function etcdPutRate(): Promise<number | null> {
  const etcd = Bun.which("etcd");
  if (!etcd) return null;
  const dir = await mkdtemp(join(tmpdir(), "kubun-bench-etcd-"));
  const port = 23790 + Math.floor(Math.random() * 100);
  const child = spawn(
    etcd,
    [
      "--data-dir",
      dir,
      "--listen-client-urls",
      `http://127.0.0.1:${port}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${port}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${port + 1000}`,
    ],
    { stdio: "ignore" },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (i > 200) throw new Error("etcd did not start");
      await Bun.sleep(50);
    }
    const value = Buffer.from(payload).toString("base64");
    return await rate(16, (w, i) =>
      fetch(`${base}/v3/kv/put`, {
        method: "POST",
        body: JSON.stringify({ key: Buffer.from(`/bench/${w}/${i}`).toString("base64"), value }),
      }).then((r) => r.arrayBuffer()),
    );
  } finally {
    child.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const server = await startKubun();
  const results: Record<string, number | null> = {};
  try {
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, { ...init, tls: server.tls } as RequestInit);
    const create = (name: string) =>
      api("/api/v1/namespaces/default/configmaps", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ metadata: { name }, data: { payload } }),
      }).then(async (r) => {
        if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${await r.text()}`);
      });

    process.stderr.write("creates...\n");
    results.api_create_1 = await rate(1, (_, i) => create(`one-${i}`));
    results.api_create_16 = await rate(16, (w, i) => create(`many-${w}-${i}`));

    process.stderr.write("gets...\n");
    const gets: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const start = performance.now();
      await api(`/api/v1/namespaces/default/configmaps/one-${i % 50}`).then((r) => r.arrayBuffer());
      gets.push(performance.now() - start);
    }
    gets.sort((a, b) => a - b);
    results.get_p50_ms = percentile(gets, 50);
    results.get_p99_ms = percentile(gets, 99);

    process.stderr.write("10,000 pods...\n");
    const pod = (i: number) => ({
      metadata: { name: `pod-${i}`, labels: { app: "bench" } },
      spec: { containers: [{ name: "c", image: "busybox", command: ["sleep", "1000"] }] },
    });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < 10_000; i = next++) {
          const r = await api("/api/v1/namespaces/default/pods", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(pod(i)),
          });
          if (r.status !== 201) throw new Error(`pod ${i}: ${r.status} ${await r.text()}`);
        }
      }),
    );
    const listTimes = async (accept: string) => {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        const body = await api("/api/v1/namespaces/default/pods", { headers: { accept } }).then(
          (r) => r.json(),
        );
        times.push(performance.now() - start);
        const count =
          (body as { items?: unknown[]; rows?: unknown[] }).items?.length ??
          (body as { rows: unknown[] }).rows.length;
        if (count !== 10_000) throw new Error(`listed ${count} pods`);
      }
      return times.sort((a, b) => a - b);
    };
    results.list_10k_json_p50_ms = percentile(await listTimes("application/json"), 50);
    results.list_10k_table_p50_ms = percentile(
      await listTimes("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
      50,
    );

    process.stderr.write(`${watchers} watchers...\n`);
    const rv = (
      (await api("/api/v1/namespaces/default/configmaps?limit=1").then((r) => r.json())) as {
        metadata: { resourceVersion: string };
      }
    ).metadata.resourceVersion;
    const controller = new AbortController();
    const latencies: number[] = [];
    const arrivals = new Map<string, number[]>();
    let open = 0;
    // node:https rather than fetch: fetch caps concurrent connections per host (256).
    const agent = new Agent({
      ...server.tls,
      keepAlive: false,
      maxSockets: Number.POSITIVE_INFINITY,
    });
    const target = new URL(server.url);
    const streams = Array.from(
      { length: watchers },
      () =>
        new Promise<void>((resolve) => {
          const request = httpsRequest(
            {
              host: target.hostname,
              port: target.port,
              path: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dpulse`,
              agent,
              signal: controller.signal,
            },
            (response) => {
              open++;
              let buffered = "";
              response.setEncoding("utf8");
              response.on("data", (chunk: string) => {
                const now = performance.now();
                buffered += chunk;
                for (
                  let newline = buffered.indexOf("\n");
                  newline >= 0;
                  newline = buffered.indexOf("\n")
                ) {
                  const event = JSON.parse(buffered.slice(0, newline));
                  buffered = buffered.slice(newline + 1);
                  const revision = event.object.metadata.resourceVersion as string;
                  const seen = arrivals.get(revision) ?? [];
                  seen.push(now);
                  arrivals.set(revision, seen);
                }
              });
              response.on("end", () => resolve());
              response.on("error", () => resolve());
            },
          );
          request.on("error", () => resolve());
          request.end();
        }),
    );
    while (open < watchers) await Bun.sleep(20);
    const pulses = 20;
    for (let i = 0; i < pulses; i++) {
      // From the moment the write is sent: an upper bound of commit-to-delivery.
      const started = performance.now();
      const method = i === 0 ? "POST" : "PUT";
      const path =
        i === 0
          ? "/api/v1/namespaces/default/configmaps"
          : "/api/v1/namespaces/default/configmaps/pulse";
      const response = await api(path, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ metadata: { name: "pulse" }, data: { i: String(i) } }),
      });
      const object = (await response.json()) as { metadata: { resourceVersion: string } };
      const revision = object.metadata.resourceVersion;
      while ((arrivals.get(revision)?.length ?? 0) < watchers) await Bun.sleep(2);
      for (const at of arrivals.get(revision) ?? []) latencies.push(at - started);
    }
    controller.abort();
    await Promise.allSettled(streams);
    latencies.sort((a, b) => a - b);
    results.watch_p50_ms = percentile(latencies, 50);
    results.watch_p99_ms = percentile(latencies, 99);
  } finally {
    await server.stop();
  }

  process.stderr.write("store baseline...\n");
  {
    const { EmbeddedPostgres } = await import("../src/store/embedded-postgres.ts");
    const { runMigrations } = await import("../src/store/migrate.ts");
    const { logger } = await import("../src/log/logger.ts");
    const dataDir = await mkdtemp(join(tmpdir(), "kubun-bench-store-"));
    await chmod(dataDir, 0o755);
    const pg = new EmbeddedPostgres({ dataDir, log: logger("bench") });
    await pg.start();
    const migrator = openDatabase({ ...pg.target, max: 1 });
    await runMigrations(migrator);
    await migrator.end();
    const sql = openDatabase({ ...pg.target, max: 20 });
    const store = await RevisionStore.open(sql);
    results.store_create_16 = await rate(16, (w, i) =>
      store.create(`/bench/${w}/${i}`, JSON.stringify({ payload })),
    );
    await store.close();
    await sql.end();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  process.stderr.write("etcd baseline...\n");
  results.etcd_put_16 = await etcdPutRate();

  const r = results;
  const fmt = (n: number | null | undefined) =>
    n === null || n === undefined ? "n/a" : n >= 100 ? n.toFixed(0) : n.toFixed(2);
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a && b ? `${(a / b).toFixed(2)}×` : "n/a";
  const rows = [
    ["creates/s, 1 client", fmt(r.api_create_1), "", ""],
    [
      "creates/s, 16 clients",
      fmt(r.api_create_16),
      `store ${fmt(r.store_create_16)}, etcd ${fmt(r.etcd_put_16)}`,
      `${ratio(r.api_create_16, r.etcd_put_16)} of etcd (target ≥ 1.0×)`,
    ],
    ["GET p50 / p99 ms", `${fmt(r.get_p50_ms)} / ${fmt(r.get_p99_ms)}`, "", ""],
    ["LIST 10,000 pods JSON p50 ms", fmt(r.list_10k_json_p50_ms), "", "target ≤ 100 ms"],
    ["LIST 10,000 pods Table p50 ms", fmt(r.list_10k_table_p50_ms), "", ""],
    [
      `${watchers} watchers, write sent → event, p50 / p99 ms`,
      `${fmt(r.watch_p50_ms)} / ${fmt(r.watch_p99_ms)}`,
      "",
      "target p99 ≤ 50 ms",
    ],
  ];
  const header = ["measure", "kubun API", "baseline (same run)", "ratio / target"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
  console.log(JSON.stringify({ bench: "api", seconds, watchers, ...results }));
}

await main();
