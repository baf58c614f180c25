import { describe, expect, test } from "bun:test";
import { controllerSelection } from "../../src/controllers/controller-selection.ts";

describe("--controllers", () => {
  test("* enables every controller, -name disables one", () => {
    const enabled = controllerSelection("*,-persistentvolume-binder");
    expect(enabled("deployment")).toBe(true);
    expect(enabled("persistentvolume-binder")).toBe(false);
  });

  test("without * only the named controllers run", () => {
    const enabled = controllerSelection("replicaset, deployment");
    expect(enabled("deployment")).toBe(true);
    expect(enabled("replicaset")).toBe(true);
    expect(enabled("job")).toBe(false);
  });

  test("an unknown name is an error that lists the known ones", () => {
    expect(() => controllerSelection("*,-deploymnet")).toThrow(
      /"deploymnet" is not a controller; known: .*deployment/,
    );
  });
});
