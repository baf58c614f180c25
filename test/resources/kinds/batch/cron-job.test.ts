import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { cronJobKind } from "../../../../src/resources/kinds/batch/cron-job.ts";
import { created, createErrors, updated } from "../apps/kind-harness.ts";

function cronJob(
  spec: Record<string, unknown> = {},
  jobSpec: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: { name: "backup" },
    spec: {
      schedule: "0 3 * * *",
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: "OnFailure", containers: [{ name: "backup", image: "tool" }] },
          },
          ...jobSpec,
        },
      },
      ...spec,
    },
  };
}

describe("cronJobKind defaults", () => {
  test("fills upstream's defaults into a minimal cron job", () => {
    const spec = created(cronJobKind, cronJob()).spec as Record<string, unknown>;
    expect(spec).toMatchObject({
      concurrencyPolicy: "Allow",
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
  });

  test("applies pod defaults to the job template, not job defaults", () => {
    const jobSpec = (
      created(cronJobKind, cronJob()).spec as { jobTemplate: { spec: Record<string, unknown> } }
    ).jobTemplate.spec;
    expect((jobSpec.template as { spec: Record<string, unknown> }).spec.dnsPolicy).toBe(
      "ClusterFirst",
    );
    expect(jobSpec.backoffLimit).toBeUndefined();
  });
});

describe("cronJobKind validation", () => {
  test("accepts a minimal cron job", () => {
    expect(createErrors(cronJobKind, cronJob())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    ["a missing schedule", cronJob({ schedule: "" }), ["spec.schedule: Required value"]],
    [
      "a schedule with four fields",
      cronJob({ schedule: "0 3 * *" }),
      ['spec.schedule: Invalid value: "0 3 * *": expected exactly 5 fields, found 4: [0 3 * *]'],
    ],
    [
      "an hour out of range",
      cronJob({ schedule: "0 24 * * *" }),
      ['spec.schedule: Invalid value: "0 24 * * *": end of range (24) above maximum (23): 24'],
    ],
    [
      "a zone in the schedule",
      cronJob({ schedule: "TZ=UTC 0 3 * * *" }),
      [
        'spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
    ],
    [
      "an unknown time zone",
      cronJob({ timeZone: "Mars/Olympus_Mons" }),
      ['spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons'],
    ],
    [
      "the local time zone",
      cronJob({ timeZone: "Local" }),
      [
        'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ],
    ],
    [
      "an unknown concurrency policy",
      cronJob({ concurrencyPolicy: "Queue" }),
      [
        'spec.concurrencyPolicy: Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"',
      ],
    ],
    [
      "a selector in the job template",
      cronJob({}, { selector: { matchLabels: { a: "b" } } }),
      [
        'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
      ],
    ],
    [
      "a manual selector in the job template",
      cronJob({}, { manualSelector: true }),
      [
        'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"',
      ],
    ],
    [
      "a job template that restarts forever",
      cronJob(
        {},
        {
          template: { spec: { restartPolicy: "Always", containers: [{ name: "c", image: "i" }] } },
        },
      ),
      [
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      ],
    ],
    [
      "a negative history limit",
      cronJob({ failedJobsHistoryLimit: -1 }),
      ["spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(cronJobKind, input)).toEqual(expected);
    });
  }

  test("accepts a known time zone and a descriptor", () => {
    expect(
      createErrors(cronJobKind, cronJob({ schedule: "@hourly", timeZone: "Asia/Tokyo" })),
    ).toEqual([]);
  });

  test("rejects a name that leaves no room for the Job suffix", () => {
    const name = "a".repeat(53);
    expect(createErrors(cronJobKind, { ...cronJob(), metadata: { name } })).toEqual([
      `metadata.name: Invalid value: "${name}": must be no more than 52 characters`,
    ]);
  });

  test("keeps the stored status on the main endpoint", () => {
    const stored = {
      ...created(cronJobKind, cronJob()),
      status: { lastScheduleTime: "2024-01-01T03:00:00Z" },
    };
    expect(updated(cronJobKind, stored, { ...cronJob(), status: {} }).status).toEqual(
      stored.status,
    );
  });
});
