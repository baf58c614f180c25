import type { KubeObject } from "../../resources/kind.ts";
import type { ObjectReader, ResourceRef, UserInfo } from "../types.ts";
import { constantTimeEqual, encodeSecretData, rfc3339, secretData } from "./secret-data.ts";

export const BOOTSTRAP_TOKEN_SECRET_TYPE = "bootstrap.kubernetes.io/token";
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = "bootstrap-token-";
export const BOOTSTRAP_TOKEN_NAMESPACE = "kube-system";
export const BOOTSTRAP_USER_PREFIX = "system:bootstrap:";
/** Every bootstrap token user is in this group. */
export const BOOTSTRAP_DEFAULT_GROUP = "system:bootstrappers";
/** The extra group of node-join tokens (kubeadm's is system:bootstrappers:kubeadm:default-node-token). */
export const DEFAULT_NODE_TOKEN_GROUP = "system:bootstrappers:kubun:default-node-token";
/** kubeadm's default token lifetime: 24 hours. */
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** What a token may be used for: API authentication, signing the cluster-info ConfigMap. */
export type BootstrapTokenUsage = "authentication" | "signing";
export const BOOTSTRAP_TOKEN_USAGES: readonly BootstrapTokenUsage[] = ["authentication", "signing"];

// The Secret's data keys (k8s.io/cluster-bootstrap/token/api).
const KEY_ID = "token-id";
const KEY_SECRET = "token-secret";
const KEY_EXPIRATION = "expiration";
const KEY_DESCRIPTION = "description";
const KEY_EXTRA_GROUPS = "auth-extra-groups";
const USAGE_PREFIX = "usage-bootstrap-";

const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ID_PATTERN = /^[a-z0-9]{6}$/;
const SECRET_PATTERN = /^[a-z0-9]{16}$/;
const GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
const RFC3339_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

const SECRETS: ResourceRef = { group: "", resource: "secrets" };

export interface BootstrapToken {
  /** Public part: names the Secret (bootstrap-token-<id>) and the user (system:bootstrap:<id>). */
  id: string;
  secret: string;
}

export interface BootstrapTokenSecretOptions extends BootstrapToken {
  /** Lifetime; defaults to 24 hours, 0 means the token never expires. */
  ttlSeconds?: number;
  description?: string;
  /** Defaults to both usages. */
  usages?: readonly BootstrapTokenUsage[];
  /** Extra groups (each system:bootstrappers:…); defaults to the node-join group. */
  groups?: readonly string[];
  now?: Date;
}

/** A bootstrap token as its Secret describes it. */
export interface BootstrapTokenInfo extends BootstrapToken {
  /** RFC 3339; undefined when the token does not expire. */
  expiration?: string;
  /** Usages marked "true" (usage-bootstrap-<usage>), known or not. */
  usages: string[];
  description?: string;
  /** auth-extra-groups as written, unvalidated. */
  groups: string[];
}

/** A new random token "<6 chars>.<16 chars>" from [a-z0-9]. */
export function generateBootstrapToken(): string {
  return `${randomText(6)}.${randomText(16)}`;
}

/** The id and secret of a well-formed token, or null for anything else. */
export function parseBootstrapToken(token: string): BootstrapToken | null {
  const match = TOKEN_PATTERN.exec(token);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { id: match[1], secret: match[2] };
}

/** The Secret (kube-system/bootstrap-token-<id>) that makes a token valid. */
export function bootstrapTokenSecret(options: BootstrapTokenSecretOptions): KubeObject {
  validateTokenOptions(options);
  const data: Record<string, string> = { [KEY_ID]: options.id, [KEY_SECRET]: options.secret };
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (ttl > 0) {
    const now = options.now ?? new Date();
    data[KEY_EXPIRATION] = rfc3339(new Date(now.getTime() + ttl * 1000));
  }
  if (options.description) data[KEY_DESCRIPTION] = options.description;
  for (const usage of options.usages ?? BOOTSTRAP_TOKEN_USAGES) data[USAGE_PREFIX + usage] = "true";
  const groups = options.groups ?? [DEFAULT_NODE_TOKEN_GROUP];
  if (groups.length > 0) data[KEY_EXTRA_GROUPS] = groups.join(",");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: BOOTSTRAP_TOKEN_SECRET_PREFIX + options.id,
      namespace: BOOTSTRAP_TOKEN_NAMESPACE,
    },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, encodeSecretData(value)]),
    ),
  };
}

/**
 * The token a Secret holds, or null when the Secret is not a well-formed
 * bootstrap token (wrong type, name not bootstrap-token-<token-id>, malformed
 * id or secret). Expiry and usages are left to the caller (see
 * `bootstrapTokenUsable`).
 */
export function tokenFromSecret(secret: KubeObject): BootstrapTokenInfo | null {
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return null;
  const id = secretData(secret, KEY_ID) ?? "";
  const tokenSecret = secretData(secret, KEY_SECRET) ?? "";
  if (!ID_PATTERN.test(id) || !SECRET_PATTERN.test(tokenSecret)) return null;
  if (secret.metadata?.name !== BOOTSTRAP_TOKEN_SECRET_PREFIX + id) return null;
  const info: BootstrapTokenInfo = {
    id,
    secret: tokenSecret,
    usages: markedUsages(secret),
    groups: splitGroups(secretData(secret, KEY_EXTRA_GROUPS) ?? ""),
  };
  const expiration = secretData(secret, KEY_EXPIRATION);
  if (expiration) info.expiration = expiration;
  const description = secretData(secret, KEY_DESCRIPTION);
  if (description) info.description = description;
  return info;
}

/**
 * Whether a token has expired at `now`. An expiration that does not parse
 * counts as expired, as upstream treats it.
 */
export function isBootstrapTokenExpired(info: BootstrapTokenInfo, now: Date = new Date()): boolean {
  if (info.expiration === undefined) return false;
  if (!RFC3339_PATTERN.test(info.expiration)) return true;
  const at = Date.parse(info.expiration);
  return Number.isNaN(at) || now.getTime() > at;
}

/** Whether a token is unexpired and marked for `usage` (the cluster-info signer asks for "signing"). */
export function bootstrapTokenUsable(
  info: BootstrapTokenInfo,
  usage: BootstrapTokenUsage,
  now: Date = new Date(),
): boolean {
  return info.usages.includes(usage) && !isBootstrapTokenExpired(info, now);
}

/**
 * The bootstrap token authenticator: system:bootstrap:<id> in
 * system:bootstrappers plus the token's extra groups. Null (not an error)
 * whenever the token is not valid, so other authenticators may try it:
 * malformed, no such Secret, being deleted, wrong secret, expired, not marked
 * for authentication, or an invalid extra group.
 */
export function authenticateBootstrapToken(
  token: string,
  reader: ObjectReader,
  now: Date = new Date(),
): UserInfo | null {
  const parsed = parseBootstrapToken(token);
  if (parsed === null) return null;
  const secret = reader.get(
    SECRETS,
    BOOTSTRAP_TOKEN_NAMESPACE,
    BOOTSTRAP_TOKEN_SECRET_PREFIX + parsed.id,
  );
  if (secret === undefined || secret.metadata?.deletionTimestamp !== undefined) return null;
  const info = tokenFromSecret(secret);
  if (info === null || info.id !== parsed.id) return null;
  if (!constantTimeEqual(info.secret, parsed.secret)) return null;
  if (!bootstrapTokenUsable(info, "authentication", now)) return null;
  if (!info.groups.every((group) => GROUP_PATTERN.test(group))) return null;
  const groups = [...new Set([BOOTSTRAP_DEFAULT_GROUP, ...info.groups])].sort();
  return { user: BOOTSTRAP_USER_PREFIX + info.id, groups: [...groups, "system:authenticated"] };
}

function validateTokenOptions(options: BootstrapTokenSecretOptions): void {
  if (!ID_PATTERN.test(options.id))
    throw new Error(`token id "${options.id}" must match [a-z0-9]{6}`);
  if (!SECRET_PATTERN.test(options.secret)) throw new Error("token secret must match [a-z0-9]{16}");
  if (options.ttlSeconds !== undefined && !(options.ttlSeconds >= 0)) {
    throw new Error("ttlSeconds must not be negative");
  }
  for (const usage of options.usages ?? []) {
    if (!BOOTSTRAP_TOKEN_USAGES.includes(usage)) {
      throw new Error(`unknown usage "${usage}" (known: ${BOOTSTRAP_TOKEN_USAGES.join(", ")})`);
    }
  }
  for (const group of options.groups ?? []) {
    if (!GROUP_PATTERN.test(group)) {
      throw new Error(`bootstrap group "${group}" is invalid (must match ${GROUP_PATTERN.source})`);
    }
  }
}

function markedUsages(secret: KubeObject): string[] {
  const data = (secret.data ?? {}) as Record<string, unknown>;
  return Object.keys(data)
    .filter((key) => key.startsWith(USAGE_PREFIX) && secretData(secret, key) === "true")
    .map((key) => key.slice(USAGE_PREFIX.length))
    .sort();
}

function splitGroups(value: string): string[] {
  return value === "" ? [] : value.split(",");
}

// Rejection sampling: 252 is the largest multiple of 36 that fits a byte, so no character is favoured.
function randomText(length: number): string {
  let result = "";
  while (result.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 252 && result.length < length) result += ALPHABET[byte % 36];
    }
  }
  return result;
}
