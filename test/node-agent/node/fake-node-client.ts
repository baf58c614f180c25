import type { KubeList, WatchEvent } from "../../../src/client/api-client.ts";
import { ApiError } from "../../../src/client/api-error.ts";
import type { NodeClient } from "../../../src/node-agent/node/node-client.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";

export interface Call {
  verb: "get" | "list" | "create" | "update" | "updateStatus" | "patch" | "delete";
  path: string;
  body?: unknown;
  options?: unknown;
}

/** Answers a call: return the response, or throw (e.g. `apiError(404, "NotFound")`). */
export type Responder = (call: Call) => unknown;

/** A NodeClient that records every call and answers through `respond`. */
export class FakeNodeClient implements NodeClient {
  readonly calls: Call[] = [];
  readonly config = { server: "https://fake.invalid" };
  respond: Responder = (call) => call.body;
  /** Lists answer these; watches end at once. */
  listItems: KubeObject[] = [];

  /** "verb path" of every call but reads. */
  writes(): string[] {
    return this.calls.filter((c) => c.verb !== "get").map((c) => `${c.verb} ${c.path}`);
  }

  async #call<T>(call: Call): Promise<T> {
    this.calls.push(call);
    return structuredClone(await this.respond(call)) as T;
  }

  get<T extends KubeObject = KubeObject>(path: string): Promise<T> {
    return this.#call({ verb: "get", path });
  }

  async list<T extends KubeObject = KubeObject>(
    path: string,
    options?: unknown,
  ): Promise<KubeList<T>> {
    this.calls.push({ verb: "list", path, options });
    return { metadata: { resourceVersion: "1" }, items: structuredClone(this.listItems) as T[] };
  }

  create<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#call({ verb: "create", path, body: object });
  }

  update<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#call({ verb: "update", path, body: object });
  }

  updateStatus<T extends KubeObject>(path: string, object: T): Promise<T> {
    return this.#call({ verb: "updateStatus", path, body: object });
  }

  patch<T extends KubeObject = KubeObject>(
    path: string,
    patch: unknown,
    type?: string,
  ): Promise<T> {
    return this.#call({ verb: "patch", path, body: patch, options: type });
  }

  delete<T>(path: string, options?: unknown): Promise<T> {
    return this.#call({ verb: "delete", path, options });
  }

  /** A watch that ends at once, with nothing in it. */
  async *watch<T extends KubeObject = KubeObject>(): AsyncGenerator<
    WatchEvent<T>,
    void,
    undefined
  > {}
}

export function apiError(code: number, reason: string): ApiError {
  return new ApiError({ kind: "Status", status: "Failure", code, reason, message: reason });
}

/** Polls `check` until it returns true (bounded), for work that happens in the background. */
export async function eventually(check: () => boolean, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await Bun.sleep(10);
  }
  throw new Error("condition not reached in time");
}
