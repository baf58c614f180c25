/** DefaultBinder: binds the pod with a pods/binding subresource request. */
import { resourcePath } from "../../client/resource-path.ts";
import { ConcurrencyLimit } from "../concurrency-limit.ts";
import type { BindPlugin, CycleState } from "../framework.ts";
import type { Handle } from "../handle.ts";
import type { PodInfo } from "../pod-info.ts";
import { Status } from "../status.ts";

/** Bindings in flight at once; enough to keep up with thousands of pods a second. */
const MAX_BINDINGS_IN_FLIGHT = 64;

export class DefaultBinder implements BindPlugin {
  readonly name = "DefaultBinder";
  readonly #limit = new ConcurrencyLimit(MAX_BINDINGS_IN_FLIGHT);

  constructor(readonly handle: Handle) {}

  async bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    const path = resourcePath({
      version: "v1",
      resource: "pods",
      namespace: pod.namespace,
      name: pod.name,
    });
    try {
      await this.#limit.run(() =>
        this.handle.client.create(`${path}/binding`, {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
          target: { apiVersion: "v1", kind: "Node", name: nodeName },
        }),
      );
      return undefined;
    } catch (error) {
      return Status.error((error as Error).message);
    }
  }
}
