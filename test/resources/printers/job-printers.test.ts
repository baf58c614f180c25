import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { jobPrinters } from "../../../src/resources/printers/job-printers.ts";
import { ago, cellsByColumn, days, hours, minutes } from "./printer-fixtures.ts";

const jobColumns = jobPrinters["jobs.batch"]?.columns ?? [];
const cronJobColumns = jobPrinters["cronjobs.batch"]?.columns ?? [];

const podTemplate = { spec: { containers: [{ name: "pi", image: "perl:5.34" }] } };

function job(
  spec: Record<string, unknown>,
  status: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: { name: "pi", creationTimestamp: ago(minutes(20)), ...metadata },
    spec: { template: podTemplate, selector: { matchLabels: { "job-name": "pi" } }, ...spec },
    status,
  };
}

function cells(object: KubeObject) {
  return cellsByColumn("batch", "jobs", object, jobColumns);
}

describe("job printer: COMPLETIONS", () => {
  const cases: [name: string, spec: Record<string, unknown>, succeeded: number, printed: string][] =
    [
      ["succeeded out of completions", { completions: 5, parallelism: 2 }, 3, "3/5"],
      ["a single completion", { completions: 1 }, 1, "1/1"],
      ["no completion count, one pod at a time", {}, 0, "0/1"],
      ["no completion count, several pods in parallel", { parallelism: 3 }, 1, "1/1 of 3"],
    ];
  for (const [name, spec, succeeded, printed] of cases) {
    test(name, () => {
      expect(cells(job(spec, { succeeded })).Completions).toBe(printed);
    });
  }
});

describe("job printer: STATUS", () => {
  const condition = (type: string, status = "True") => ({ type, status });
  const cases: [name: string, object: KubeObject, printed: string][] = [
    ["no conditions is Running", job({}), "Running"],
    ["Complete", job({}, { conditions: [condition("Complete")] }), "Complete"],
    ["Failed", job({}, { conditions: [condition("Failed")] }), "Failed"],
    [
      "a condition that is not True does not count",
      job({}, { conditions: [condition("Complete", "False")] }),
      "Running",
    ],
    ["Suspended", job({ suspend: true }, { conditions: [condition("Suspended")] }), "Suspended"],
    ["FailureTarget", job({}, { conditions: [condition("FailureTarget")] }), "FailureTarget"],
    ["Terminating while deleted", job({}, {}, { deletionTimestamp: ago(0) }), "Terminating"],
    [
      "Complete wins over Terminating",
      job({}, { conditions: [condition("Complete")] }, { deletionTimestamp: ago(0) }),
      "Complete",
    ],
    [
      "Terminating wins over Suspended",
      job({}, { conditions: [condition("Suspended")] }, { deletionTimestamp: ago(0) }),
      "Terminating",
    ],
  ];
  for (const [name, object, printed] of cases) {
    test(name, () => {
      expect(cells(object).Status).toBe(printed);
    });
  }
});

describe("job printer: DURATION and the other cells", () => {
  test("start to completion for a finished job", () => {
    const finished = job(
      { completions: 1 },
      { startTime: ago(minutes(15)), completionTime: ago(minutes(10) + 50_000), succeeded: 1 },
    );
    expect(cells(finished).Duration).toBe("4m10s");
  });

  test("start to now while running, and empty before it starts", () => {
    expect(cells(job({}, { startTime: ago(hours(5)) })).Duration).toBe("5h");
    expect(cells(job({})).Duration).toBe("");
  });

  test("prints name, age and the wide cells", () => {
    expect(cells(job({ completions: 1 }, { succeeded: 0 }))).toMatchObject({
      Name: "pi",
      Age: "20m",
      Containers: "pi",
      Images: "perl:5.34",
      Selector: "job-name=pi",
    });
  });
});

describe("cron job printer", () => {
  function cronJob(spec: Record<string, unknown>, status: Record<string, unknown> = {}) {
    const object: KubeObject = {
      metadata: { name: "nightly", creationTimestamp: ago(days(3)) },
      spec: {
        schedule: "0 3 * * *",
        jobTemplate: { spec: { template: podTemplate } },
        ...spec,
      },
      status,
    };
    return cellsByColumn("batch", "cronjobs", object, cronJobColumns);
  }

  test("prints schedule, time zone, suspension, active jobs and the last schedule", () => {
    expect(
      cronJob(
        { timeZone: "Europe/Paris", suspend: false },
        { active: [{ name: "nightly-1" }], lastScheduleTime: ago(hours(9)) },
      ),
    ).toEqual({
      Name: "nightly",
      Schedule: "0 3 * * *",
      Timezone: "Europe/Paris",
      Suspend: "False",
      Active: 1,
      "Last Schedule": "9h",
      Age: "3d",
      Containers: "pi",
      Images: "perl:5.34",
      Selector: "<none>",
    });
  });

  test('prints "<none>" and "<unset>" for what is not set', () => {
    const cells = cronJob({});
    expect([cells.Timezone, cells.Suspend, cells.Active, cells["Last Schedule"]]).toEqual([
      "<none>",
      "<unset>",
      0,
      "<none>",
    ]);
    expect(cronJob({ suspend: true }).Suspend).toBe("True");
  });
});
