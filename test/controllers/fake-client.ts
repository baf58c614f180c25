import { ApiError } from "../../src/client/api-error.ts";
import type { ControllerClient } from "../../src/controllers/controller.ts";
import { Logger } from "../../src/log/logger.ts";
import type { KubeObject } from "../../src/resources/kind.ts";

export type Verb = "get" | "create" | "update" | "updateStatus" | "patch" | "delete";

/** One API call a controller made. */
export interface Action {
  verb: Verb;
  path: string;
  body?: KubeObject;
  options?: unknown;
}

/** Answers a call: return the response object, or throw (e.g. `apiError(404, "NotFound")`). */
export type Responder = (action: Action) => KubeObject | undefined;

/**
 * A ControllerClient that records every call. Lists are empty and watches end at once,
 * so informers built on it are filled by tests through `informer.replace`.
 */
export class FakeClient {
  readonly actions: Action[] = [];
  respond: Responder = (action) => action.body;

  /** The calls other than reads, as "verb path" lines. */
  writes(): string[] {
    return this.actions.filter((a) => a.verb !== "get").map((a) => `${a.verb} ${a.path}`);
  }

  asClient(): ControllerClient {
    const call = async (action: Action): Promise<KubeObject> => {
      this.actions.push(action);
      const answer = this.respond(action);
      if (answer === undefined) throw apiError(404, "NotFound");
      return structuredClone(answer);
    };
    const client = {
      get: (path: string) => call({ verb: "get", path }),
      create: (path: string, body: KubeObject) => call({ verb: "create", path, body }),
      update: (path: string, body: KubeObject) => call({ verb: "update", path, body }),
      updateStatus: (path: string, body: KubeObject) => call({ verb: "updateStatus", path, body }),
      patch: (path: string, body: KubeObject) => call({ verb: "patch", path, body }),
      delete: (path: string, options: unknown) => call({ verb: "delete", path, options }),
      list: async () => ({ metadata: { resourceVersion: "1" }, items: [] }),
      watch: async function* () {
        // A watch that ends at once, with nothing in it.
      },
    };
    return client as unknown as ControllerClient;
  }
}

export function apiError(code: number, reason: string): ApiError {
  return new ApiError({ kind: "Status", status: "Failure", code, reason, message: reason });
}

/** A logger that keeps its lines instead of writing them. */
export class RecordingLogger extends Logger {
  readonly lines: string[] = [];

  constructor() {
    super("test");
  }

  override debug(message: string): void {
    this.lines.push(`debug ${message}`);
  }

  override info(message: string): void {
    this.lines.push(`info ${message}`);
  }

  override warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }

  override error(message: string): void {
    this.lines.push(`error ${message}`);
  }

  override child(): Logger {
    return this;
  }
}
