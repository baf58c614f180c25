/**
 * The main endpoint's half of the status strategy: clients write status only through
 * `/status`, so a create starts from a clean status and an update keeps the stored one.
 */
import type { KubeObject } from "../../kind.ts";

/** Drops whatever status a client sent with a create. */
export function clearStatus(object: KubeObject): void {
  delete object.status;
}

/** Puts the stored status back, whatever the update carried. */
export function keepStatus(object: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete object.status;
  else object.status = structuredClone(old.status);
}
