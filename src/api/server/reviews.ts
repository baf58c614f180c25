import type { Attributes, Authorizer, UserInfo } from "../../auth/types.ts";
import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import { type FieldError, required } from "../../resources/validation/field-error.ts";
import { fieldPath } from "../../resources/validation/field-path.ts";
import { badRequest, invalid } from "../errors/status-error.ts";
import type { CreateAction } from "../handlers/resource-handler.ts";

/** Resolved rules for SelfSubjectRulesReview (authorization.k8s.io/v1 SubjectRulesReviewStatus). */
export interface RulesReviewStatus {
  resourceRules: unknown[];
  nonResourceRules: unknown[];
  incomplete: boolean;
  evaluationError?: string;
}

export interface ReviewDeps {
  authorizer: Authorizer;
  rulesFor(user: UserInfo, namespace: string): RulesReviewStatus;
  /** TokenReview: null when no authenticator knows the token; throws when it is invalid. */
  reviewToken(token: string, audiences: readonly string[]): Promise<UserInfo | null>;
  /** serviceaccounts/token: the TokenRequest with its status filled in. */
  requestToken(context: RequestContext, name: string, request: KubeObject): Promise<KubeObject>;
}

type Spec = Record<string, unknown>;

/**
 * The create-only, never-stored resources: TokenReview, SelfSubjectReview and
 * the access reviews behind `kubectl auth can-i`, plus TokenRequest
 * (`kubectl create token`). Each answers with the request object and a status.
 */
export function reviewActions(
  deps: ReviewDeps,
): (kind: KindDefinition, subresource: string) => CreateAction | undefined {
  const actions: Record<string, CreateAction> = {
    "authentication.k8s.io/tokenreviews": async ({ object }) => {
      const spec = specOf(object);
      const token = typeof spec.token === "string" ? spec.token : "";
      if (!token) throw invalidReview("TokenReview", [required(fieldPath("spec").child("token"))]);
      const audiences = stringList(spec.audiences);
      let status: Record<string, unknown>;
      try {
        const user = await deps.reviewToken(token, audiences);
        status = user
          ? { authenticated: true, user: userInfo(user), audiences }
          : { authenticated: false, error: "invalid bearer token" };
      } catch (error) {
        status = { authenticated: false, error: (error as Error).message };
      }
      return answer(object, "authentication.k8s.io/v1", "TokenReview", status);
    },
    "authentication.k8s.io/selfsubjectreviews": async ({ object, context }) =>
      answer(object, "authentication.k8s.io/v1", "SelfSubjectReview", {
        userInfo: userInfo(requester(context)),
      }),
    "authorization.k8s.io/subjectaccessreviews": async ({ object }) => {
      const spec = specOf(object);
      const user = typeof spec.user === "string" ? spec.user : "";
      const groups = stringList(spec.groups);
      if (!user && groups.length === 0) {
        throw invalidReview("SubjectAccessReview", [
          required(
            fieldPath("spec").child("user"),
            "at least one of user or group must be specified",
          ),
        ]);
      }
      const subject: UserInfo = { user, groups, ...optionalIdentity(spec) };
      return accessReview(deps, object, "SubjectAccessReview", subject, "");
    },
    "authorization.k8s.io/selfsubjectaccessreviews": async ({ object, context }) =>
      accessReview(deps, object, "SelfSubjectAccessReview", requester(context), ""),
    "authorization.k8s.io/localsubjectaccessreviews": async ({ object, context }) => {
      const spec = specOf(object);
      const subject: UserInfo = {
        user: typeof spec.user === "string" ? spec.user : "",
        groups: stringList(spec.groups),
        ...optionalIdentity(spec),
      };
      return accessReview(deps, object, "LocalSubjectAccessReview", subject, context.namespace);
    },
    "authorization.k8s.io/selfsubjectrulesreviews": async ({ object, context }) => {
      const namespace = specOf(object).namespace;
      if (typeof namespace !== "string" || namespace === "") {
        throw invalidReview("SelfSubjectRulesReview", [
          required(fieldPath("spec").child("namespace")),
        ]);
      }
      const status = deps.rulesFor(requester(context), namespace);
      return answer(object, "authorization.k8s.io/v1", "SelfSubjectRulesReview", {
        resourceRules: status.resourceRules,
        nonResourceRules: status.nonResourceRules,
        incomplete: status.incomplete,
        ...(status.evaluationError ? { evaluationError: status.evaluationError } : {}),
      });
    },
    "/serviceaccounts/token": async ({ object, context, path }) =>
      deps.requestToken(context, path.name, object),
  };
  return (kind, subresource) =>
    actions[`${kind.group}/${kind.resource}${subresource ? `/${subresource}` : ""}`];
}

function accessReview(
  deps: ReviewDeps,
  object: KubeObject,
  kind: string,
  subject: UserInfo,
  localNamespace: string,
): KubeObject {
  const spec = specOf(object);
  const resource = spec.resourceAttributes as Record<string, string> | undefined;
  const nonResource = spec.nonResourceAttributes as Record<string, string> | undefined;
  if ((resource === undefined) === (nonResource === undefined)) {
    throw invalidReview(kind, [
      required(
        fieldPath("spec", "resourceAttributes"),
        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
      ),
    ]);
  }
  if (localNamespace && resource) {
    if (resource.namespace && resource.namespace !== localNamespace) {
      throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${localNamespace}`);
    }
  }
  const attributes: Attributes = resource
    ? {
        user: subject,
        verb: resource.verb ?? "",
        resourceRequest: true,
        path: "",
        apiGroup: resource.group ?? "",
        apiVersion: resource.version ?? "",
        resource: resource.resource ?? "",
        subresource: resource.subresource ?? "",
        namespace: localNamespace || (resource.namespace ?? ""),
        name: resource.name ?? "",
      }
    : {
        user: subject,
        verb: nonResource?.verb ?? "",
        resourceRequest: false,
        path: nonResource?.path ?? "",
        apiGroup: "",
        apiVersion: "",
        resource: "",
        subresource: "",
        namespace: "",
        name: "",
      };
  const decision = deps.authorizer.authorize(attributes);
  const status: Record<string, unknown> = { allowed: decision.decision === "allow" };
  if (decision.decision === "deny") status.denied = true;
  if (decision.reason) status.reason = decision.reason;
  const answered = answer(object, "authorization.k8s.io/v1", kind, status);
  if (localNamespace) {
    answered.metadata = { ...(answered.metadata ?? {}), namespace: localNamespace };
  }
  return answered;
}

function answer(
  object: KubeObject,
  apiVersion: string,
  kind: string,
  status: Record<string, unknown>,
): KubeObject {
  return {
    kind,
    apiVersion,
    metadata: { ...(object.metadata ?? {}), creationTimestamp: null },
    spec: object.spec ?? {},
    status,
  };
}

function requester(context: RequestContext): UserInfo {
  return {
    user: context.user,
    groups: context.groups,
    ...(context.uid !== undefined ? { uid: context.uid } : {}),
    ...(context.extra !== undefined ? { extra: context.extra } : {}),
  };
}

function userInfo(user: UserInfo): Record<string, unknown> {
  return {
    username: user.user,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: [...user.groups],
    ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
  };
}

function optionalIdentity(spec: Spec): Pick<UserInfo, "uid" | "extra"> {
  const identity: { uid?: string; extra?: Record<string, readonly string[]> } = {};
  if (typeof spec.uid === "string" && spec.uid) identity.uid = spec.uid;
  if (spec.extra && typeof spec.extra === "object") {
    identity.extra = spec.extra as Record<string, readonly string[]>;
  }
  return identity;
}

function specOf(object: KubeObject): Spec {
  const spec = object.spec;
  return spec && typeof spec === "object" && !Array.isArray(spec) ? (spec as Spec) : {};
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function invalidReview(kind: string, errors: readonly FieldError[]) {
  const group = kind.includes("Subject") ? "authorization.k8s.io" : "authentication.k8s.io";
  return invalid(kind, group, "", errors);
}
