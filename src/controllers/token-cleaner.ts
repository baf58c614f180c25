/**
 * Token cleaner (upstream's tokencleaner).
 * Reconciles: bootstrap token Secrets in kube-system; deletes each once its
 * `expiration` has passed, and until then schedules another look for the moment it does.
 * Owns nothing. Watches: kube-system Secrets of type bootstrap.kubernetes.io/token.
 */

import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
} from "../auth/tokens/bootstrap-token.ts";
import { secretData } from "../auth/tokens/secret-data.ts";
import { isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import type { InformerSelection, SharedInformers } from "./shared-informers.ts";

/** The token Secrets; the bootstrap signer watches the same selection (one shared informer). */
export const BOOTSTRAP_TOKEN_SECRETS: InformerSelection = {
  path: resourcePath({ version: "v1", resource: "secrets", namespace: BOOTSTRAP_TOKEN_NAMESPACE }),
  fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}`,
};

/**
 * setTimeout fires at once for delays past 2³¹−1 ms (~24.8 days), and tokens may live a
 * year: a long wait is taken in steps of a day, each step re-reading the Secret.
 */
const MAX_WAIT_MS = 24 * 60 * 60 * 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export interface TokenCleanerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  now?: () => Date;
}

export class TokenCleaner {
  readonly secrets: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(options: TokenCleanerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.secrets = options.informers.informer(BOOTSTRAP_TOKEN_SECRETS);
    this.secrets.addEventHandler({
      onAdd: (secret) => this.loop.enqueue(objectKey(secret)),
      onUpdate: (old, secret) => {
        if (!isResync(old, secret)) this.loop.enqueue(objectKey(secret));
      },
    });
  }

  async sync(key: string): Promise<void> {
    const secret = this.secrets.store.get(key);
    if (!secret || secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return;
    const remainingMs = tokenExpiresInMs(secret, this.#now());
    if (remainingMs === undefined) return;
    if (remainingMs > 0) {
      this.loop.queue.addAfter(key, Math.min(remainingMs, MAX_WAIT_MS));
      return;
    }
    const { namespace, name, uid } = secret.metadata ?? {};
    try {
      // The uid precondition keeps a token re-created under the same name from going too.
      await this.#client.delete(
        resourcePath({ version: "v1", resource: "secrets", namespace, name }),
        uid ? { preconditions: { uid } } : {},
      );
      this.#log.info("deleted expired bootstrap token", { secret: key });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }
}

/**
 * Milliseconds until a token Secret expires: undefined when it has no `expiration`,
 * 0 when it has expired or its expiration does not parse (upstream treats that as expired).
 */
export function tokenExpiresInMs(secret: KubeObject, now: Date): number | undefined {
  const expiration = secretData(secret, "expiration");
  if (!expiration) return undefined;
  const at = RFC3339.test(expiration) ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(at)) return 0;
  return Math.max(0, at - now.getTime());
}
