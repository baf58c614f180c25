import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import type { Attributes, UserInfo } from "./types.ts";

function auditUser(user: UserInfo) {
  return { username: user.user, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups };
}

export interface AuditRecord {
  attributes: Attributes;
  /** Who sent the request; differs from `attributes.user` when it impersonated. */
  requester?: UserInfo | undefined;
  requestUri: string;
  sourceIp: string;
  userAgent: string;
  code: number;
  received: Date;
}

/**
 * The audit log at Metadata level: one audit.k8s.io/v1 Event per request as a
 * JSON line (who, verb, what, response code; never bodies). Appends through a
 * buffered stream: a request never waits for the disk.
 */
export class AuditLog {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: "a", mode: 0o600 });
  }

  record(entry: AuditRecord): void {
    const { attributes: a } = entry;
    const event: Record<string, unknown> = {
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      level: "Metadata",
      auditID: randomUUID(),
      stage: "ResponseComplete",
      requestURI: entry.requestUri,
      verb: a.verb,
      user: auditUser(entry.requester ?? a.user),
      ...(entry.requester && entry.requester !== a.user
        ? { impersonatedUser: auditUser(a.user) }
        : {}),
      sourceIPs: [entry.sourceIp],
      userAgent: entry.userAgent,
      responseStatus: { metadata: {}, code: entry.code },
      requestReceivedTimestamp: entry.received.toISOString(),
      stageTimestamp: new Date().toISOString(),
    };
    if (a.resourceRequest) {
      event.objectRef = {
        resource: a.resource,
        ...(a.namespace ? { namespace: a.namespace } : {}),
        ...(a.name ? { name: a.name } : {}),
        apiGroup: a.apiGroup,
        apiVersion: a.apiVersion,
        ...(a.subresource ? { subresource: a.subresource } : {}),
      };
    }
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
