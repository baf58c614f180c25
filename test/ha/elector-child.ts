// A server stand-in for the leader election tests: campaigns on the database in
// KUBUN_TEST_DB (JSON DatabaseOptions) and, while it leads, records one row per
// "work item" in test_acts with its epoch and when it was decided (this process's
// clock: a write decided before a freeze may reach the database after it).
import { LeaderElector } from "../../src/ha/leader-election.ts";
import { logger } from "../../src/log/logger.ts";
import { openDatabase } from "../../src/store/database.ts";

const database = JSON.parse(process.env.KUBUN_TEST_DB ?? "{}");
const work = openDatabase({ ...database, max: 1 });
let acting: ReturnType<typeof setInterval> | undefined;
const elector = new LeaderElector({
  database,
  identity: `child-${process.pid}`,
  log: logger("elector-child"),
  onStartedLeading(term) {
    process.stdout.write(`leading ${term.epoch}\n`);
    acting = setInterval(() => {
      if (!term.isLeader()) return;
      const decided = new Date();
      void work`insert into test_acts (epoch, at) values (${term.epoch}, ${decided})`.catch(
        () => {},
      );
    }, 5);
  },
  onStoppedLeading() {
    clearInterval(acting);
    process.stdout.write("stepped down\n");
  },
});
void elector.start();
process.once("SIGTERM", () => void elector.stop().then(() => process.exit(0)));
