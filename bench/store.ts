// Store benchmark: prints a table and one JSON line. Figures are only comparable
// within one run, so each store figure stands next to a baseline measured in the
// same run on the same database: raw single-row INSERTs for writes, a kine-style
// history query for lists.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logger, setLogLevel } from "../src/log/logger.ts";
import { openDatabase, type Sql } from "../src/store/database.ts";
import { EmbeddedPostgres } from "../src/store/embedded-postgres.ts";
import { runMigrations } from "../src/store/migrate.ts";
import { RevisionStore } from "../src/store/revision-store.ts";

setLogLevel("warn");
const log = logger("bench");
/** Length of one measuring window; write rates alternate store and baseline windows. */
const seconds = Number(process.env.BENCH_SECONDS ?? 1.5);
const rounds = 3;
const value = JSON.stringify({ kind: "ConfigMap", data: { payload: "x".repeat(900) } });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Runs `workers` loops of `op` for the configured time; returns operations per second. */
async function rate(workers: number, op: (worker: number, i: number) => Promise<unknown>) {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
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

async function timeMs(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

async function watchLatency(writer: RevisionStore, reader: RevisionStore, prefix: string) {
  const pending = new Map<number, number>();
  const latencies: number[] = [];
  const early = new Map<number, number>();
  const watcher = reader.watch(prefix, await writer.currentRevision());
  const consuming = (async () => {
    for await (const event of watcher) {
      const now = performance.now();
      const acked = pending.get(event.revision);
      if (acked === undefined) early.set(event.revision, now);
      else latencies.push(now - acked);
    }
  })();
  const writes = 2000;
  await Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      for (let i = w; i < writes; i += 4) {
        const revision = await writer.create(`${prefix}k${i}`, value);
        const now = performance.now();
        const seenAt = early.get(revision);
        // Delivered before the writer even saw its acknowledgement: no delay at all.
        if (seenAt !== undefined) latencies.push(0);
        else pending.set(revision, now);
        if (i % 20 === 0) await Bun.sleep(1); // a steady stream, not one burst
      }
    }),
  );
  while (latencies.length < writes) await Bun.sleep(5);
  watcher.close();
  await consuming;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "kubun-bench-"));
  await chmod(dataDir, 0o755);
  // Default, durable settings: fsync and synchronous_commit on, as in production.
  const pg = new EmbeddedPostgres({ dataDir, log });
  await pg.start();
  const results: Record<string, number> = {};
  let sqlA: Sql | null = null;
  let sqlB: Sql | null = null;
  try {
    const migrator = openDatabase({ ...pg.target, max: 1 });
    await runMigrations(migrator);
    await migrator.end();
    sqlA = openDatabase({ ...pg.target, max: 20 });
    sqlB = openDatabase({ ...pg.target, max: 20 });
    const raw = sqlA;
    await raw`create table bench_raw (id bigserial primary key, key text not null, value text not null)`;
    const a = await RevisionStore.open(sqlA, { log });
    const b = await RevisionStore.open(sqlB, { log });

    process.stderr.write("writes...\n");
    for (const writers of [1, 16]) {
      results[`raw_insert_${writers}`] = await rate(
        writers,
        (w, i) =>
          raw`insert into bench_raw (key, value) values (${`/raw/${writers}/${w}/${i}`}, ${value})`,
      );
      results[`store_create_${writers}`] = await rate(writers, (w, i) =>
        a.create(`/bench/${writers}/${w}/${i}`, value),
      );
    }

    process.stderr.write("watch latency...\n");
    const same = await watchLatency(a, a, "/watch-same/");
    const across = await watchLatency(a, b, "/watch-across/");
    results.watch_same_p50_ms = same.p50;
    results.watch_same_p99_ms = same.p99;
    results.watch_across_p50_ms = across.p50;
    results.watch_across_p99_ms = across.p99;

    process.stderr.write("lists...\n");
    const keys = 10_000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < keys; i += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, j) => {
            const key = `/registry/pods/default/p${i + j}`;
            return round === 0 ? a.create(key, value) : a.update(key, value);
          }),
        );
      }
    }
    await raw`analyze`;
    const store = await timeMs(() => a.list("/registry/pods/"), 15);
    const kineQuery = `
        select h.key, h.value, h.revision from kubun_history h
        join (select key, max(revision) as revision from kubun_history
              where key >= '/registry/pods/' and key < '/registry/pods0' group by key) latest
          on latest.revision = h.revision
        where not h.deleted order by h.key`;
    const currentQuery = `
        select key, value, revision, create_revision from kubun_current
        where key >= '/registry/pods/' and key < '/registry/pods0' order by key`;
    const kine = await timeMs(() => raw.unsafe(kineQuery), 15);
    results.list_10k_store_p50_ms = percentile(store, 50);
    results.list_10k_kine_p50_ms = percentile(kine, 50);
    // Inside the database alone (no transfer, no decoding): the cost of the data layout.
    const executionMs = async (query: string) => {
      const samples: number[] = [];
      for (let i = 0; i < 15; i++) {
        const [plan] = await raw.unsafe(`explain (analyze, timing off, format json) ${query}`);
        samples.push(
          (plan?.["QUERY PLAN"] as { "Execution Time": number }[])[0]!["Execution Time"],
        );
      }
      return percentile(
        samples.sort((x, y) => x - y),
        50,
      );
    };
    results.list_10k_store_db_ms = await executionMs(currentQuery);
    results.list_10k_kine_db_ms = await executionMs(kineQuery);
    await a.close();
    await b.close();
  } finally {
    await sqlA?.end();
    await sqlB?.end();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }

  const r = results as Record<string, number>;
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  const rows: [string, string, string, string][] = [
    [
      "writes/s, 1 writer",
      fmt(r.store_create_1!),
      fmt(r.raw_insert_1!),
      `${(r.store_create_1! / r.raw_insert_1!).toFixed(2)}×`,
    ],
    [
      "writes/s, 16 writers",
      fmt(r.store_create_16!),
      fmt(r.raw_insert_16!),
      `${(r.store_create_16! / r.raw_insert_16!).toFixed(2)}× (target ≥ 1.0×)`,
    ],
    [
      "watch p50 / p99 ms, same instance",
      `${fmt(r.watch_same_p50_ms!)} / ${fmt(r.watch_same_p99_ms!)}`,
      "",
      "target p99 ≤ 10 ms",
    ],
    [
      "watch p50 / p99 ms, across instances",
      `${fmt(r.watch_across_p50_ms!)} / ${fmt(r.watch_across_p99_ms!)}`,
      "",
      "target p99 ≤ 25 ms",
    ],
    [
      "list 10,000 keys, in-database ms",
      fmt(r.list_10k_store_db_ms!),
      fmt(r.list_10k_kine_db_ms!),
      `${(r.list_10k_kine_db_ms! / r.list_10k_store_db_ms!).toFixed(1)}× faster (target ≥ 10×)`,
    ],
    [
      "list 10,000 keys, end to end p50 ms",
      fmt(r.list_10k_store_p50_ms!),
      fmt(r.list_10k_kine_p50_ms!),
      `${(r.list_10k_kine_p50_ms! / r.list_10k_store_p50_ms!).toFixed(1)}× faster (1 KiB values)`,
    ],
  ];
  const header: [string, string, string, string] = ["measure", "kubun store", "baseline", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
  console.log("baselines: raw single-row INSERT, autocommit, same database and durability, median");
  console.log("           of alternating windows (writes); kine-style MAX(revision) GROUP BY over");
  console.log("           history with 3 revisions per key (lists)");
  console.log(JSON.stringify({ bench: "store", windowSeconds: seconds, rounds, ...results }));
}

await main();
