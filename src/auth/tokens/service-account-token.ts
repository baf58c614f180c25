import { createHash, randomUUID } from "node:crypto";
import { CompactSign, compactVerify, exportPKCS8, exportSPKI, importPKCS8, importSPKI } from "jose";
import type { KubeObject } from "../../resources/kind.ts";
import type { ObjectReader, ResourceRef, UserInfo } from "../types.ts";
import { constantTimeEqual, deletedBefore, rfc3339, secretData } from "./secret-data.ts";

/** The issuer kube-apiserver uses unless --service-account-issuer says otherwise. */
export const DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** The issuer of secret-based (legacy) tokens. */
export const LEGACY_ISSUER = "kubernetes/serviceaccount";

/** Extra keys the authenticator sets (upstream's serviceaccount and user packages). */
export const EXTRA_POD_NAME = "authentication.kubernetes.io/pod-name";
export const EXTRA_POD_UID = "authentication.kubernetes.io/pod-uid";
export const EXTRA_NODE_NAME = "authentication.kubernetes.io/node-name";
export const EXTRA_NODE_UID = "authentication.kubernetes.io/node-uid";
export const EXTRA_CREDENTIAL_ID = "authentication.kubernetes.io/credential-id";

/** The label the legacy-token cleaner puts on a token Secret it has invalidated. */
export const LEGACY_TOKEN_INVALID_SINCE_LABEL = "kubernetes.io/legacy-token-invalid-since";

const ALGORITHM = "ES256";
const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
// go-jose's jwt.DefaultLeeway: clock skew tolerated on exp/nbf/iat and on deletions.
const LEEWAY_SECONDS = 60;
const SA_TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token";

const SERVICE_ACCOUNTS: ResourceRef = { group: "", resource: "serviceaccounts" };
const SECRETS: ResourceRef = { group: "", resource: "secrets" };
const PODS: ResourceRef = { group: "", resource: "pods" };
const NODES: ResourceRef = { group: "", resource: "nodes" };

/** The ES256 key pair that signs and verifies service account tokens. */
export interface SigningKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The JWS `kid`: `keyIdFor(publicKey)`. */
  keyId: string;
}

/** The key pair as the server stores it. */
export interface SigningKeyPairPem {
  /** PKCS#8 "PRIVATE KEY". */
  privateKeyPem: string;
  /** SPKI "PUBLIC KEY". */
  publicKeyPem: string;
}

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface BoundObjectRef extends ObjectRef {
  kind: "Pod" | "Secret" | "Node";
}

export interface IssueRequest {
  namespace: string;
  serviceAccount: ObjectRef;
  /** Defaults to the API audiences. */
  audiences?: readonly string[];
  expirationSeconds: number;
  boundObject?: BoundObjectRef;
  /** The node a bound pod runs on: recorded so the token names it (pod-bound tokens only). */
  node?: ObjectRef;
  /** Sets `kubernetes.io.warnafter` (the extended-expiration transition of projected tokens). */
  warnAfterSeconds?: number;
  now?: Date;
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, as TokenRequest's status.expirationTimestamp. */
  expirationTimestamp: string;
}

export interface AuthenticateOptions {
  /** The audiences the request is for; defaults to the API audiences. */
  audiences?: readonly string[];
  now?: Date;
}

export interface ServiceAccountTokensOptions {
  keyPair: SigningKeyPair;
  issuer?: string;
  /** The audiences the API server itself accepts; defaults to [issuer]. */
  apiAudiences?: readonly string[];
}

interface Ref {
  name?: unknown;
  uid?: unknown;
}

interface PrivateClaims {
  namespace?: unknown;
  serviceaccount?: Ref;
  pod?: Ref;
  secret?: Ref;
  node?: Ref;
  warnafter?: unknown;
}

type Claims = Record<string, unknown>;

/** Who a token proves to be, before it becomes a UserInfo. */
interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid: string;
  podName?: string;
  podUid?: string;
  nodeName?: string;
  nodeUid?: string;
  credentialId?: string;
}

/**
 * Issues and authenticates service account JWTs the way kube-apiserver does:
 * bound tokens (TokenRequest; `kubernetes.io` claims, expiring, optionally
 * bound to a pod, secret or node) and legacy secret-based tokens.
 */
export class ServiceAccountTokens {
  readonly issuer: string;
  readonly apiAudiences: readonly string[];
  readonly #keyPair: SigningKeyPair;

  constructor(options: ServiceAccountTokensOptions) {
    this.#keyPair = options.keyPair;
    this.issuer = options.issuer ?? DEFAULT_ISSUER;
    this.apiAudiences = options.apiAudiences ?? [this.issuer];
    if (this.issuer === "") throw new Error("issuer must not be empty");
  }

  /** A bound token (what TokenRequest returns). */
  async issue(request: IssueRequest): Promise<IssuedToken> {
    if (!Number.isInteger(request.expirationSeconds) || request.expirationSeconds <= 0) {
      throw new Error("expirationSeconds must be a positive integer");
    }
    const nowSeconds = Math.floor((request.now ?? new Date()).getTime() / 1000);
    const exp = nowSeconds + request.expirationSeconds;
    const claims: Claims = {
      aud: [...(request.audiences ?? this.apiAudiences)],
      exp,
      iat: nowSeconds,
      iss: this.issuer,
      jti: randomUUID(),
      "kubernetes.io": boundPrivateClaims(request, nowSeconds),
      nbf: nowSeconds,
      sub: serviceAccountUsername(request.namespace, request.serviceAccount.name),
    };
    return { token: await this.#sign(claims), expirationTimestamp: rfc3339(new Date(exp * 1000)) };
  }

  /** A legacy token for a kubernetes.io/service-account-token Secret: no audience, no expiry. */
  issueLegacy(
    namespace: string,
    serviceAccount: ObjectRef,
    secret: { name: string },
  ): Promise<string> {
    return this.#sign({
      iss: LEGACY_ISSUER,
      "kubernetes.io/serviceaccount/namespace": namespace,
      "kubernetes.io/serviceaccount/secret.name": secret.name,
      "kubernetes.io/serviceaccount/service-account.name": serviceAccount.name,
      "kubernetes.io/serviceaccount/service-account.uid": serviceAccount.uid,
      sub: serviceAccountUsername(namespace, serviceAccount.name),
    });
  }

  /**
   * The service account a token proves, or null when the token is not one of
   * ours (not a JWT, another issuer) so that other authenticators may try it.
   * Throws, with the reason, when the token claims to be ours but is not valid.
   */
  async authenticate(
    token: string,
    reader: ObjectReader,
    options: AuthenticateOptions = {},
  ): Promise<UserInfo | null> {
    const unverified = decodePayload(token);
    if (unverified === undefined) return null;
    const legacy = unverified.iss === LEGACY_ISSUER;
    if (!legacy && unverified.iss !== this.issuer) return null;
    const claims = await this.#verify(token);
    this.#checkAudiences(claims, options.audiences);
    const nowSeconds = (options.now ?? new Date()).getTime() / 1000;
    const info = legacy
      ? validateLegacy(token, claims, reader)
      : validateBound(claims, reader, nowSeconds);
    return serviceAccountUser(info);
  }

  #sign(claims: Claims): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: ALGORITHM, kid: this.#keyPair.keyId })
      .sign(this.#keyPair.privateKey);
  }

  async #verify(token: string): Promise<Claims> {
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, this.#keyPair.publicKey, {
        algorithms: [ALGORITHM],
      }));
    } catch (error) {
      throw new Error(
        `service account token has an invalid signature: ${(error as Error).message}`,
      );
    }
    const claims = parseClaims(new TextDecoder().decode(payload));
    if (claims === undefined) throw new Error("service account token has malformed claims");
    return claims;
  }

  // Tokens without an audience (legacy ones) are for the API server itself.
  #checkAudiences(claims: Claims, requested: readonly string[] | undefined): void {
    const fromToken = audienceList(claims.aud);
    const tokenAudiences = fromToken.length > 0 ? fromToken : this.apiAudiences;
    const target = requested ?? this.apiAudiences;
    const overlap = tokenAudiences.some((audience) => target.includes(audience));
    if (!overlap && this.apiAudiences.length > 0) {
      throw new Error(
        `token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(target)}`,
      );
    }
  }
}

/** "system:serviceaccount:<namespace>:<name>". */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** A new ES256 (P-256) key pair, extractable so that the server can store it. */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = (await crypto.subtle.generateKey(EC_KEY, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return { privateKey, publicKey, keyId: await keyIdFor(publicKey) };
}

/**
 * The `kid` upstream gives a key: base64url (unpadded) SHA-256 of the DER
 * SubjectPublicKeyInfo, so every server holding the key agrees on it.
 */
export async function keyIdFor(publicKey: CryptoKey): Promise<string> {
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  return createHash("sha256").update(spki).digest("base64url");
}

export async function exportSigningKeyPair(pair: SigningKeyPair): Promise<SigningKeyPairPem> {
  const [privateKeyPem, publicKeyPem] = await Promise.all([
    exportPKCS8(pair.privateKey),
    exportSPKI(pair.publicKey),
  ]);
  return { privateKeyPem, publicKeyPem };
}

/** Imports a stored pair; throws when the two halves do not belong together. */
export async function importSigningKeyPair(pem: SigningKeyPairPem): Promise<SigningKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    importPKCS8(pem.privateKeyPem, ALGORITHM, { extractable: true }),
    importSPKI(pem.publicKeyPem, ALGORITHM, { extractable: true }),
  ]);
  const [privateJwk, publicJwk] = await Promise.all([
    crypto.subtle.exportKey("jwk", privateKey),
    crypto.subtle.exportKey("jwk", publicKey),
  ]);
  if (privateJwk.x !== publicJwk.x || privateJwk.y !== publicJwk.y) {
    throw new Error("service account public key does not match the private key");
  }
  return { privateKey, publicKey, keyId: await keyIdFor(publicKey) };
}

function boundPrivateClaims(request: IssueRequest, nowSeconds: number): Record<string, unknown> {
  const { boundObject, node } = request;
  if (node !== undefined && boundObject?.kind !== "Pod") {
    throw new Error("node may only be given for a token bound to a pod (bind the Node itself)");
  }
  const claims: Record<string, unknown> = {
    namespace: request.namespace,
    serviceaccount: ref(request.serviceAccount),
  };
  if (boundObject !== undefined) claims[boundObject.kind.toLowerCase()] = ref(boundObject);
  if (node !== undefined) claims.node = ref(node);
  if (request.warnAfterSeconds !== undefined) {
    claims.warnafter = nowSeconds + request.warnAfterSeconds;
  }
  return claims;
}

function ref(object: ObjectRef): { name: string; uid: string } {
  return { name: object.name, uid: object.uid };
}

function validateBound(
  claims: Claims,
  reader: ObjectReader,
  nowSeconds: number,
): ServiceAccountInfo {
  checkTimes(claims, nowSeconds);
  const k8s = (isRecord(claims["kubernetes.io"]) ? claims["kubernetes.io"] : {}) as PrivateClaims;
  const namespace = text(k8s.namespace);
  const saName = text(k8s.serviceaccount?.name);
  const saUid = text(k8s.serviceaccount?.uid);
  // Objects deleted within the leeway still count: their deletion may not have reached us.
  const cutoff = (nowSeconds - LEEWAY_SECONDS) * 1000;
  checkServiceAccount(reader, namespace, saName, saUid, cutoff, "service account");
  if (k8s.secret !== undefined) checkBoundObject(reader, SECRETS, namespace, k8s.secret, cutoff);
  const info: ServiceAccountInfo = { namespace, name: saName, uid: saUid };
  if (k8s.pod !== undefined) {
    checkBoundObject(reader, PODS, namespace, k8s.pod, cutoff);
    info.podName = text(k8s.pod.name);
    info.podUid = text(k8s.pod.uid);
  }
  if (k8s.node !== undefined) {
    // A pod-bound token only records its node; a node-bound token depends on the node.
    if (k8s.pod === undefined) checkBoundObject(reader, NODES, "", k8s.node, cutoff);
    info.nodeName = text(k8s.node.name);
    info.nodeUid = text(k8s.node.uid);
  }
  const jti = text(claims.jti);
  if (jti !== "") info.credentialId = `JTI=${jti}`;
  return info;
}

function checkTimes(claims: Claims, now: number): void {
  const exp = numeric(claims.exp);
  const nbf = numeric(claims.nbf);
  const iat = numeric(claims.iat);
  if (nbf !== undefined && now + LEEWAY_SECONDS < nbf) {
    throw new Error("service account token is not valid yet");
  }
  if (exp !== undefined && now - LEEWAY_SECONDS > exp) {
    throw new Error("service account token has expired");
  }
  if (iat !== undefined && now + LEEWAY_SECONDS < iat) {
    throw new Error("service account token is issued in the future");
  }
}

function checkServiceAccount(
  reader: ObjectReader,
  namespace: string,
  name: string,
  uid: string,
  cutoff: number,
  label: string,
): void {
  const account = reader.get(SERVICE_ACCOUNTS, namespace, name);
  if (account === undefined) throw new Error(`serviceaccounts "${name}" not found`);
  const actualUid = account.metadata?.uid ?? "";
  if (actualUid !== uid) {
    throw new Error(`${label} UID (${actualUid}) does not match claim (${uid})`);
  }
  if (deletedBefore(account, cutoff)) {
    throw new Error(`${label} ${namespace}/${name} has been deleted`);
  }
}

function checkBoundObject(
  reader: ObjectReader,
  resource: ResourceRef,
  namespace: string,
  claim: Ref,
  cutoff: number,
): void {
  const object = reader.get(resource, namespace, text(claim.name));
  if (object === undefined) throw new Error("service account token has been invalidated");
  const kind = resource.resource.slice(0, -1);
  const actualUid = object.metadata?.uid ?? "";
  if (actualUid !== text(claim.uid)) {
    throw new Error(
      `${kind} UID (${actualUid}) does not match service account ${kind} ref claim (${text(claim.uid)})`,
    );
  }
  if (deletedBefore(object, cutoff)) throw new Error("service account token has been invalidated");
}

function validateLegacy(token: string, claims: Claims, reader: ObjectReader): ServiceAccountInfo {
  const field = (suffix: string) => text(claims[`kubernetes.io/serviceaccount/${suffix}`]);
  const required: [string, string][] = [
    ["sub", text(claims.sub)],
    ["namespace", field("namespace")],
    ["secretName", field("secret.name")],
    ["serviceAccountName", field("service-account.name")],
    ["serviceAccountUID", field("service-account.uid")],
  ];
  for (const [name, value] of required) {
    if (value === "") throw new Error(`${name} claim is missing`);
  }
  const namespace = field("namespace");
  const name = field("service-account.name");
  const uid = field("service-account.uid");
  if (claims.sub !== serviceAccountUsername(namespace, name)) {
    throw new Error("sub claim is invalid");
  }
  const secretName = field("secret.name");
  const secret = checkLegacySecret(token, reader, namespace, secretName);
  // Legacy tokens have no leeway: any deletion in progress invalidates them.
  checkServiceAccount(reader, namespace, name, uid, Number.POSITIVE_INFINITY, "ServiceAccount");
  if (invalidatedLegacySecret(secret)) {
    throw new Error(
      `the token in secret ${namespace}/${secretName} for service account ${namespace}/${name} has been marked invalid; use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '${LEGACY_TOKEN_INVALID_SINCE_LABEL}' label from the secret to re-enable it`,
    );
  }
  return { namespace, name, uid };
}

function checkLegacySecret(
  token: string,
  reader: ObjectReader,
  namespace: string,
  secretName: string,
): KubeObject {
  const secret = reader.get(SECRETS, namespace, secretName);
  if (
    secret === undefined ||
    secret.metadata?.deletionTimestamp !== undefined ||
    secret.type !== SA_TOKEN_SECRET_TYPE
  ) {
    throw new Error("token has been invalidated");
  }
  if (!constantTimeEqual(secretData(secret, "token") ?? "", token)) {
    throw new Error("token does not match server's copy");
  }
  return secret;
}

function invalidatedLegacySecret(secret: KubeObject): boolean {
  const since = secret.metadata?.labels?.[LEGACY_TOKEN_INVALID_SINCE_LABEL];
  return since !== undefined && since !== "";
}

function serviceAccountUser(info: ServiceAccountInfo): UserInfo {
  const extra: Record<string, string[]> = {};
  if (info.podName && info.podUid) {
    extra[EXTRA_POD_NAME] = [info.podName];
    extra[EXTRA_POD_UID] = [info.podUid];
  }
  if (info.credentialId) extra[EXTRA_CREDENTIAL_ID] = [info.credentialId];
  if (info.nodeName) {
    extra[EXTRA_NODE_NAME] = [info.nodeName];
    if (info.nodeUid) extra[EXTRA_NODE_UID] = [info.nodeUid];
  }
  return {
    user: serviceAccountUsername(info.namespace, info.name),
    uid: info.uid,
    groups: [
      "system:serviceaccounts",
      `system:serviceaccounts:${info.namespace}`,
      "system:authenticated",
    ],
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

// The payload of a compact JWS, unverified: only to route by issuer.
function decodePayload(token: string): Claims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  return parseClaims(Buffer.from(parts[1], "base64url").toString("utf8"));
}

function parseClaims(json: string): Claims | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function audienceList(aud: unknown): string[] {
  if (typeof aud === "string") return aud === "" ? [] : [aud];
  return Array.isArray(aud)
    ? aud.filter((entry): entry is string => typeof entry === "string")
    : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function numeric(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
