import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { jobKind } from "../../../../src/resources/kinds/batch/job.ts";
import { created, createErrors, UID, updated, updateErrors } from "../apps/kind-harness.ts";

function job(
  spec: Record<string, unknown> = {},
  podSpec: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: { name: "pi" },
    spec: {
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "pi", image: "perl" }], ...podSpec },
      },
      ...spec,
    },
  };
}

interface JobSpec {
  [field: string]: unknown;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
}

const generatedLabels = {
  "batch.kubernetes.io/controller-uid": UID,
  "batch.kubernetes.io/job-name": "pi",
  "controller-uid": UID,
  "job-name": "pi",
};

describe("jobKind defaults", () => {
  test("fills upstream's defaults into a minimal job", () => {
    const spec = created(jobKind, job()).spec as JobSpec;
    expect(spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      suspend: false,
      manualSelector: false,
      podReplacementPolicy: "TerminatingOrFailed",
    });
  });

  const counts: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ["completions only", { completions: 5 }, { completions: 5, parallelism: 1 }],
    ["parallelism only (a work queue)", { parallelism: 3 }, { parallelism: 3 }],
    ["a per-index backoff limit", { backoffLimitPerIndex: 1 }, { backoffLimit: 2147483647 }],
  ];
  for (const [name, input, expected] of counts) {
    test(`defaults counts for ${name}`, () => {
      const spec = created(jobKind, job(input)).spec as JobSpec;
      expect(spec).toMatchObject(expected);
      if (!("completions" in input) && "parallelism" in input)
        expect(spec.completions).toBeUndefined();
    });
  }

  test("generates the selector and template labels from the uid", () => {
    const object = created(jobKind, job());
    const spec = object.spec as JobSpec;
    expect(spec.selector).toEqual({ matchLabels: { "batch.kubernetes.io/controller-uid": UID } });
    expect(spec.template.metadata.labels).toEqual(generatedLabels);
    // The Job's own labels default to its template's.
    expect(object.metadata?.labels).toEqual(generatedLabels);
  });

  test("leaves a manual selector and its labels alone", () => {
    const input = job({ manualSelector: true, selector: { matchLabels: { app: "pi" } } });
    (input.spec as JobSpec).template.metadata = { labels: { app: "pi" } };
    const spec = created(jobKind, input).spec as JobSpec;
    expect(spec.selector).toEqual({ matchLabels: { app: "pi" } });
    expect(spec.template.metadata.labels).toEqual({ app: "pi" });
  });

  test("clears a status sent on create", () => {
    expect(created(jobKind, { ...job(), status: { succeeded: 1 } }).status).toEqual({});
  });
});

describe("jobKind validation", () => {
  test("accepts a minimal job", () => {
    expect(createErrors(jobKind, job())).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    [
      "a template without restartPolicy (pods would restart forever)",
      job({}, { restartPolicy: undefined }),
      ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      "restartPolicy Always",
      job({}, { restartPolicy: "Always" }),
      ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      "a negative backoff limit",
      job({ backoffLimit: -1 }),
      ["spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "an Indexed job without completions",
      job({ completionMode: "Indexed", parallelism: 2 }),
      ["spec.completions: Required value: when completion mode is Indexed"],
    ],
    [
      "a per-index limit on a NonIndexed job",
      job({ backoffLimitPerIndex: 2 }),
      ["spec.backoffLimitPerIndex: Invalid value: 2: requires indexed completion mode"],
    ],
    [
      "an unknown completion mode",
      job({ completionMode: "Sometimes" }),
      [
        'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
      ],
    ],
    [
      "a manual job without a selector",
      job({ manualSelector: true }),
      [
        "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: null: `selector` does not match template `labels`",
      ],
    ],
    [
      "a pod failure policy rule without a condition",
      job({ podFailurePolicy: { rules: [{ action: "FailJob" }] } }),
      [
        "spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
      ],
    ],
    [
      "a pod failure policy with restartPolicy OnFailure",
      job(
        {
          podFailurePolicy: {
            rules: [{ action: "Ignore", onExitCodes: { operator: "In", values: [42] } }],
          },
        },
        { restartPolicy: "OnFailure" },
      ),
      [
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
    ],
    [
      "unordered exit codes",
      job({
        podFailurePolicy: {
          rules: [{ action: "FailJob", onExitCodes: { operator: "NotIn", values: [3, 1] } }],
        },
      }),
      ["spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [3,1]: must be ordered"],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(jobKind, input)).toEqual(expected);
    });
  }

  test("rejects template labels that conflict with the generated ones", () => {
    const input = job();
    (input.spec as JobSpec).template.metadata = { labels: { "job-name": "other" } };
    const labels = { ...generatedLabels, "job-name": "other" };
    expect(createErrors(jobKind, input)).toEqual([
      `spec.template.metadata.labels[job-name]: Invalid value: ${JSON.stringify(labels)}: must be 'pi'`,
    ]);
  });

  test("rejects a selector that does not select the generated labels", () => {
    const input = job({
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "other" } },
    });
    expect(createErrors(jobKind, input)).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":"other"}}: `selector` not auto-generated',
      `spec.template.metadata.labels: Invalid value: ${JSON.stringify(generatedLabels)}: \`selector\` does not match template \`labels\``,
    ]);
  });

  test("rejects an Indexed job whose last pod hostname would be too long", () => {
    const name = "a".repeat(60);
    const input = { ...job({ completionMode: "Indexed", completions: 1000 }), metadata: { name } };
    expect(createErrors(jobKind, input)).toContain(
      `metadata.name: Invalid value: "${name}": will not able to create pod with invalid DNS label: ${name}-999`,
    );
  });
});

describe("jobKind updates", () => {
  const stored = created(jobKind, job());
  stored.status = { startTime: "2024-01-01T00:00:00Z", active: 1 };

  function edit(change: (spec: JobSpec) => void): KubeObject {
    const next = structuredClone(stored);
    change(next.spec as JobSpec);
    return next;
  }

  test("accepts a change of parallelism", () => {
    expect(
      updateErrors(
        jobKind,
        stored,
        edit((spec) => {
          spec.parallelism = 4;
        }),
      ),
    ).toEqual([]);
  });

  test("rejects an update that changes the template", () => {
    const errors = updateErrors(
      jobKind,
      stored,
      edit((spec) => {
        spec.template.spec.activeDeadlineSeconds = 60;
      }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toStartWith("spec.template: Invalid value: ");
    expect(errors[0]).toEndWith(": field is immutable");
  });

  test("rejects an update that changes completions or the selector", () => {
    const errors = updateErrors(
      jobKind,
      stored,
      edit((spec) => {
        spec.completions = 2;
        spec.selector.matchLabels.extra = "x";
      }),
    );
    expect(errors).toContain("spec.completions: Invalid value: 2: field is immutable");
    expect(
      errors.some(
        (e) => e.startsWith("spec.selector: Invalid value: ") && e.endsWith("field is immutable"),
      ),
    ).toBe(true);
  });

  test("lets a suspended job that never started move its pods", () => {
    const suspended = created(jobKind, job({ suspend: true }));
    const next = structuredClone(suspended);
    (next.spec as JobSpec).template.spec.nodeSelector = { zone: "b" };
    expect(updateErrors(jobKind, suspended, next)).toEqual([]);
    (next.spec as JobSpec).template.spec.activeDeadlineSeconds = 5;
    expect(updateErrors(jobKind, suspended, next)).toHaveLength(1);
  });

  test("keeps the stored status on the main endpoint", () => {
    expect(updated(jobKind, stored, { ...stored, status: { succeeded: 3 } }).status).toEqual(
      stored.status,
    );
  });

  test("offers status.successful as a field selector", () => {
    expect(jobKind.selectableFields?.({ status: { succeeded: 2 } })).toEqual({
      "status.successful": "2",
    });
  });
});
