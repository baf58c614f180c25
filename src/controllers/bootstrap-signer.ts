/**
 * Bootstrap signer (upstream's bootstrapsigner, plus kubeadm's one-off creation of
 * cluster-info).
 * Reconciles: the kube-public/cluster-info ConfigMap: `kubeconfig` names this cluster
 * (server URL and CA, no users, as kubeadm writes it) and `jws-kubeconfig-<token id>` holds
 * its detached JWS for every unexpired bootstrap token marked for signing; signatures of
 * tokens that are gone are removed. Other keys are left alone.
 * Owns: cluster-info (created when missing). Watches: cluster-info, and the bootstrap
 * token Secrets in kube-system. An expiring token needs no timer here: the token cleaner
 * deletes it, and that deletion brings the signer back.
 */

import { bootstrapTokenUsable, tokenFromSecret } from "../auth/tokens/bootstrap-token.ts";
import {
  CLUSTER_INFO_KUBECONFIG_KEY,
  CLUSTER_INFO_NAME,
  CLUSTER_INFO_NAMESPACE,
  JWS_SIGNATURE_KEY_PREFIX,
  signDetached,
} from "../auth/tokens/cluster-info-jws.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isAlreadyExists } from "./controller.ts";
import type { SharedInformers } from "./shared-informers.ts";
import { BOOTSTRAP_TOKEN_SECRETS } from "./token-cleaner.ts";

export interface BootstrapSignerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** The API server URL joining nodes should use. */
  serverUrl: string;
  /** The cluster CA certificate, PEM. */
  caPem: string;
  now?: () => Date;
}

/** The only key this controller syncs: everything it watches feeds one ConfigMap. */
const CLUSTER_INFO_KEY = `${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME}`;

export class BootstrapSigner {
  readonly configMaps: Informer;
  readonly secrets: Informer;
  readonly loop: ControllerLoop;
  readonly #options: BootstrapSignerOptions;
  readonly #kubeconfig: string;

  constructor(options: BootstrapSignerOptions) {
    this.#options = options;
    this.#kubeconfig = clusterInfoKubeconfig(options.serverUrl, options.caPem);
    this.loop = new ControllerLoop({ log: options.log, sync: () => this.sync() });
    const poke = () => this.loop.enqueue(CLUSTER_INFO_KEY);
    this.configMaps = options.informers.informer({
      path: resourcePath({
        version: "v1",
        resource: "configmaps",
        namespace: CLUSTER_INFO_NAMESPACE,
      }),
      fieldSelector: `metadata.name=${CLUSTER_INFO_NAME}`,
    });
    this.secrets = options.informers.informer(BOOTSTRAP_TOKEN_SECRETS);
    // Queued up front: an empty kube-public delivers no event, yet cluster-info must be created.
    poke();
    this.configMaps.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
    this.secrets.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
  }

  async sync(): Promise<void> {
    const existing = this.configMaps.store.get(CLUSTER_INFO_KEY);
    const now = this.#options.now?.() ?? new Date();
    const signatures: Record<string, string> = {};
    for (const token of signingTokens(this.secrets.store.list(), now)) {
      signatures[token.id] = await signDetached(this.#kubeconfig, token.id, token.secret);
    }
    const data = clusterInfoData(dataOf(existing), this.#kubeconfig, signatures);
    const { client, log } = this.#options;
    const path = resourcePath({
      version: "v1",
      resource: "configmaps",
      namespace: CLUSTER_INFO_NAMESPACE,
    });
    if (!existing) {
      try {
        await client.create(path, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE },
          data,
        });
        log.info("created cluster-info", { tokens: Object.keys(signatures).length });
      } catch (error) {
        // Someone else created it; its add event brings us back to sign it.
        if (!isAlreadyExists(error)) throw error;
      }
      return;
    }
    if (sameData(dataOf(existing), data)) return;
    const updated = structuredClone(existing);
    updated.data = data;
    await client.update(`${path}/${CLUSTER_INFO_NAME}`, updated);
    log.info("updated cluster-info signatures", { tokens: Object.keys(signatures).length });
  }
}

/**
 * A kubeconfig with one unnamed cluster and no users or contexts, laid out as kubeadm's
 * cluster-info is. Joining nodes verify the JWS over these exact bytes, so the text must
 * not change between syncs: it is written by hand, strings JSON-quoted (valid YAML).
 */
export function clusterInfoKubeconfig(serverUrl: string, caPem: string): string {
  if (new URL(serverUrl).protocol !== "https:") {
    throw new Error(`cluster-info server must be an https URL, got ${serverUrl}`);
  }
  if (!caPem.includes("-----BEGIN CERTIFICATE-----"))
    throw new Error("caPem is not a PEM certificate");
  const lines = [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${btoa(caPem)}`,
    `    server: ${JSON.stringify(serverUrl)}`,
    '  name: ""',
    "contexts: null",
    'current-context: ""',
    "kind: Config",
    "preferences: {}",
    "users: null",
  ];
  return `${lines.join("\n")}\n`;
}

/** The id and secret of each token that may sign cluster-info now. */
export function signingTokens(
  secrets: readonly KubeObject[],
  now: Date,
): { id: string; secret: string }[] {
  const tokens: { id: string; secret: string }[] = [];
  for (const secret of secrets) {
    if (secret.metadata?.deletionTimestamp) continue;
    const info = tokenFromSecret(secret);
    if (info && bootstrapTokenUsable(info, "signing", now))
      tokens.push({ id: info.id, secret: info.secret });
  }
  return tokens;
}

/** The data cluster-info should hold: other keys kept, kubeconfig set, exactly these signatures. */
export function clusterInfoData(
  existing: Record<string, string>,
  kubeconfig: string,
  signatures: Record<string, string>,
): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(existing)) {
    if (!key.startsWith(JWS_SIGNATURE_KEY_PREFIX)) data[key] = value;
  }
  data[CLUSTER_INFO_KUBECONFIG_KEY] = kubeconfig;
  for (const [id, jws] of Object.entries(signatures)) data[JWS_SIGNATURE_KEY_PREFIX + id] = jws;
  return data;
}

function dataOf(configMap: KubeObject | undefined): Record<string, string> {
  const data = configMap?.data;
  return typeof data === "object" && data !== null ? (data as Record<string, string>) : {};
}

function sameData(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
