import { afterEach, describe, expect, test } from "bun:test";
import { LeaderElector, type LeaderTerm } from "../../src/ha/leader-election.ts";
import { logger } from "../../src/log/logger.ts";
import { type TestDatabase, testDatabase } from "../support/postgres.ts";
import { until } from "../support/until.ts";

interface Candidate {
  elector: LeaderElector;
  terms: LeaderTerm[];
  stops: number;
}

const electors: LeaderElector[] = [];
const databases: TestDatabase[] = [];

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  await Promise.all(databases.splice(0).map((db) => db.close()));
});

async function database(): Promise<TestDatabase> {
  const db = await testDatabase();
  databases.push(db);
  return db;
}

function candidate(db: TestDatabase, identity: string): Candidate {
  const c: Candidate = { terms: [], stops: 0 } as unknown as Candidate;
  c.elector = new LeaderElector({
    database: db.options,
    identity,
    log: logger(`elector-${identity}`),
    periodMs: 100,
    staleAfterMs: 1500,
    onStartedLeading: (term) => {
      c.terms.push(term);
    },
    onStoppedLeading: () => {
      c.stops++;
    },
  });
  electors.push(c.elector);
  void c.elector.start();
  return c;
}

const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader());

describe("leader election on an advisory lock", () => {
  test("exactly one of three candidates leads; when it stops another takes over", async () => {
    const db = await database();
    const cs = ["a", "b", "c"].map((id) => candidate(db, id));
    const first = await until("a leader", async () => leaders(cs)[0]);
    // Every candidate is connected and campaigning.
    const admin = db.connect({ max: 1 });
    await until("three campaigning connections", async () => {
      const [row] = await admin`
        select count(*)::int as n from pg_stat_activity
        where application_name = 'kubun-leader' and datname = current_database()`;
      return row?.n === 3 ? true : undefined;
    });
    expect(leaders(cs)).toHaveLength(1);
    expect(first.terms.map((t) => t.epoch)).toEqual([1]);
    const rows = await admin`select holder, epoch from kubun_leader`;
    expect(rows).toHaveLength(1);

    await first.elector.stop();
    expect(first.stops).toBe(1);
    expect(first.terms[0]?.isLeader()).toBe(false);
    expect(first.terms[0]?.signal.aborted).toBe(true);
    const rest = cs.filter((c) => c !== first);
    const second = await until("a new leader", async () => leaders(rest)[0]);
    expect(second.terms.at(-1)?.epoch).toBe(2);
    expect(leaders(cs)).toEqual([second]);
  });

  test("a leader whose backend is terminated steps down at once", async () => {
    const db = await database();
    const cs = ["a", "b"].map((id) => candidate(db, id));
    const leader = await until("a leader", async () => leaders(cs)[0]);
    const admin = db.connect({ max: 1 });
    await admin`select pg_terminate_backend(backend_pid) from kubun_leader`;
    await until("the old leader to step down", async () => (leader.stops === 1 ? true : undefined));
    const next = await until("a leader of a new term", async () =>
      cs.find((c) => c.elector.isLeader() && c.elector.epoch === 2),
    );
    expect(leaders(cs)).toEqual([next]);
  });

  test("a frozen leader is deposed, and on waking does not act once as leader", async () => {
    const db = await database();
    const admin = db.connect({ max: 1 });
    await admin`create table test_acts (epoch bigint not null, at timestamptz not null)`;
    const child = Bun.spawn(["bun", `${import.meta.dir}/elector-child.ts`], {
      env: { ...process.env, KUBUN_TEST_DB: JSON.stringify(db.options), KUBUN_LOG: "error" },
      stdout: "pipe",
      stderr: "inherit",
    });
    let out = "";
    const reader = (async () => {
      for await (const chunk of child.stdout) out += new TextDecoder().decode(chunk);
    })();
    try {
      await until("the child to lead", async () => (out.includes("leading 1") ? true : undefined));
      await until("the child to act", async () => {
        const [row] = await admin`select count(*)::int as n from test_acts`;
        return (row?.n ?? 0) > 0 ? true : undefined;
      });
      const standby = candidate(db, "standby");
      child.kill("SIGSTOP");
      await until("the standby to take over", async () =>
        standby.elector.isLeader() ? true : undefined,
      );
      const [{ started }] = (await admin`select now() as started`) as unknown as [
        { started: Date },
      ];
      child.kill("SIGCONT");
      await until("the woken child to step down", async () =>
        out.includes("stepped down") ? true : undefined,
      );
      const late = await admin`select count(*)::int as n from test_acts where at >= ${started}`;
      expect(late[0]?.n).toBe(0);
      expect(standby.elector.epoch).toBe(2);
      expect(standby.elector.isLeader()).toBe(true);
    } finally {
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      await child.exited;
      await reader;
    }
  });
});
