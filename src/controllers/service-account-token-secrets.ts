/**
 * Service account token secrets controller (the legacy half of upstream's tokens
 * controller, pkg/controller/serviceaccount/tokens_controller.go).
 * Reconciles: Secrets of type kubernetes.io/service-account-token annotated
 * kubernetes.io/service-account.name (and optionally .uid). While that ServiceAccount
 * exists (with that uid, when one is given), the Secret carries data.token (a legacy,
 * non-expiring token naming the account and the Secret), data["ca.crt"] (the cluster CA)
 * and data.namespace, and both annotations; a Secret that has them all is left alone.
 * When the ServiceAccount is gone, or is another one now (uid differs), the Secret is
 * deleted, which also invalidates its token.
 * Owns: those Secrets' data and annotations (never creates Secrets). Unlike upstream it
 * does not maintain ServiceAccount.secrets references (auto-created token Secrets are
 * long gone upstream too).
 * Watches: Secrets of that type, and ServiceAccounts (a deletion re-checks its Secrets).
 */

import { encodeSecretData as encode, secretData } from "../auth/tokens/secret-data.ts";
import { ApiError, isConflict, isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { objectKey } from "../client/object-store.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync, PermanentError } from "./controller.ts";
import type { InformerSelection, SharedInformers } from "./shared-informers.ts";

export const SERVICE_ACCOUNT_TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token";
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";
export const SERVICE_ACCOUNT_UID_ANNOTATION = "kubernetes.io/service-account.uid";
/** The data keys of a token Secret (upstream's ServiceAccountTokenKey and friends). */
export const TOKEN_KEY = "token";
export const ROOT_CA_KEY = "ca.crt";
export const NAMESPACE_KEY = "namespace";

/** Signs a legacy token for the account and Secret (ServiceAccountTokens.issueLegacy). */
export type IssueLegacyToken = (
  namespace: string,
  serviceAccount: { name: string; uid: string },
  secret: { name: string },
) => Promise<string>;

export const TOKEN_SECRETS: InformerSelection = {
  path: resourcePath({ version: "v1", resource: "secrets" }),
  fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_SECRET_TYPE}`,
};

export const SERVICE_ACCOUNTS: InformerSelection = {
  path: resourcePath({ version: "v1", resource: "serviceaccounts" }),
};

export interface ServiceAccountTokenSecretsOptions {
  client: ControllerClient;
  informers: SharedInformers;
  /** Issues the token; the controller holds no signing key itself. */
  issueLegacyToken: IssueLegacyToken;
  /** The cluster CA bundle written as ca.crt; empty writes none. */
  caPem: string;
  log: Logger;
}

export class ServiceAccountTokenSecrets {
  readonly secrets: Informer;
  readonly serviceAccounts: Informer;
  readonly loop: ControllerLoop;
  readonly #options: ServiceAccountTokenSecretsOptions;

  constructor(options: ServiceAccountTokenSecretsOptions) {
    this.#options = options;
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.secrets = options.informers.informer(TOKEN_SECRETS);
    this.serviceAccounts = options.informers.informer(SERVICE_ACCOUNTS);
    // Keys are "<namespace>/<name>" of token Secrets.
    this.secrets.addEventHandler({
      onAdd: (secret) => this.loop.enqueue(objectKey(secret)),
      onUpdate: (old, secret) => {
        if (!isResync(old, secret)) this.loop.enqueue(objectKey(secret));
      },
    });
    // An account's arrival or departure decides the fate of the Secrets naming it.
    const enqueueSecretsOf = (account: KubeObject) => {
      for (const secret of this.secretsOf(account)) this.loop.enqueue(objectKey(secret));
    };
    this.serviceAccounts.addEventHandler({ onAdd: enqueueSecretsOf, onDelete: enqueueSecretsOf });
  }

  /** The cached token Secrets whose name annotation names `account`. */
  secretsOf(account: KubeObject): KubeObject[] {
    const { namespace = "", name } = account.metadata ?? {};
    return this.secrets.store
      .byIndex("namespace", namespace)
      .filter((secret) => secret.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === name);
  }

  async sync(key: string): Promise<void> {
    const secret = this.secrets.store.get(key);
    if (!secret || secret.type !== SERVICE_ACCOUNT_TOKEN_SECRET_TYPE) return;
    const annotations = secret.metadata?.annotations ?? {};
    const accountName = annotations[SERVICE_ACCOUNT_NAME_ANNOTATION] ?? "";
    if (accountName === "") return;
    const namespace = secret.metadata?.namespace ?? "";
    const account = await this.#serviceAccount(
      namespace,
      accountName,
      annotations[SERVICE_ACCOUNT_UID_ANNOTATION] ?? "",
    );
    if (account) await this.#populate(account, secret);
    else await this.#delete(secret, accountName);
  }

  /**
   * The account the Secret names, from the cache or else the API (the Secret may be
   * newer than our cache's copy of the account); undefined when there is none with
   * that uid.
   */
  async #serviceAccount(
    namespace: string,
    name: string,
    uid: string,
  ): Promise<KubeObject | undefined> {
    const matches = (account: KubeObject) => uid === "" || account.metadata?.uid === uid;
    const cached = this.serviceAccounts.store.get(`${namespace}/${name}`);
    if (cached && matches(cached)) return cached;
    let live: KubeObject;
    try {
      live = await this.#options.client.get(
        resourcePath({ version: "v1", resource: "serviceaccounts", namespace, name }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return matches(live) ? live : undefined;
  }

  async #delete(secret: KubeObject, accountName: string): Promise<void> {
    const { namespace, name, uid } = secret.metadata ?? {};
    try {
      // The uid precondition spares a Secret re-created under the same name meanwhile.
      await this.#options.client.delete(
        resourcePath({ version: "v1", resource: "secrets", namespace, name }),
        uid ? { preconditions: { uid } } : {},
      );
      this.#options.log.info("deleted token secret of a missing service account", {
        secret: `${namespace}/${name}`,
        serviceAccount: accountName,
      });
    } catch (error) {
      // Gone already, or another Secret by now: nothing left to do.
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  async #populate(account: KubeObject, cached: KubeObject): Promise<void> {
    if (!this.#needsUpdate(cached)) return;
    const { client, log } = this.#options;
    const namespace = cached.metadata?.namespace ?? "";
    const name = cached.metadata?.name ?? "";
    const path = resourcePath({ version: "v1", resource: "secrets", namespace, name });
    // Fill a fresh copy: the cached one is shared, and may be behind.
    let live: KubeObject;
    try {
      live = await client.get(path);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    // Our view is stale: the update event that brings the new version queues it again.
    if (live.metadata?.resourceVersion !== cached.metadata?.resourceVersion) return;
    if (!this.#needsUpdate(live)) return;
    const accountRef = { name: account.metadata?.name ?? "", uid: account.metadata?.uid ?? "" };
    const data = { ...((live.data ?? {}) as Record<string, string>) };
    const { caPem } = this.#options;
    if (this.#needsCa(live)) data[ROOT_CA_KEY] = encode(caPem);
    if (!secretData(live, NAMESPACE_KEY)) data[NAMESPACE_KEY] = encode(namespace);
    if (!secretData(live, TOKEN_KEY)) {
      data[TOKEN_KEY] = encode(
        await this.#options.issueLegacyToken(namespace, accountRef, { name }),
      );
    }
    live.data = data;
    live.metadata = {
      ...live.metadata,
      annotations: {
        ...live.metadata?.annotations,
        [SERVICE_ACCOUNT_NAME_ANNOTATION]: accountRef.name,
        [SERVICE_ACCOUNT_UID_ANNOTATION]: accountRef.uid,
      },
    };
    try {
      await client.update(path, live);
      log.info("populated service account token secret", {
        secret: `${namespace}/${name}`,
        serviceAccount: accountRef.name,
      });
    } catch (error) {
      // Changed meanwhile (its event queues it again) or deleted: nothing to do now.
      if (isConflict(error) || isNotFound(error)) return;
      // Refused as invalid (an immutable Secret): retrying cannot help.
      if (error instanceof ApiError && error.code === 422) {
        throw new PermanentError(
          `cannot populate token secret ${namespace}/${name}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  #needsCa(secret: KubeObject): boolean {
    const { caPem } = this.#options;
    return caPem !== "" && secretData(secret, ROOT_CA_KEY) !== caPem;
  }

  /** Upstream's secretUpdateNeeded: the CA differs, or the namespace or token is empty. */
  #needsUpdate(secret: KubeObject): boolean {
    return (
      this.#needsCa(secret) || !secretData(secret, NAMESPACE_KEY) || !secretData(secret, TOKEN_KEY)
    );
  }
}
