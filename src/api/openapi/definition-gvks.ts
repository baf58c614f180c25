/**
 * Which definitions carry `x-kubernetes-group-version-kind`, and with which
 * GVKs. Clients find a kind's schema through this extension (kubectl explain
 * and apply look the GVK up among all definitions), so every served kind, its
 * list and the kinds its subresources answer with carry it, as upstream.
 */

import type { KindDefinition } from "../../resources/kind.ts";
import { typeSchema } from "../../resources/schema/schema.ts";
import type { GroupVersionKind } from "../discovery/discovery-types.ts";
import { compareStrings } from "../discovery/group-versions.ts";
import { subresourcesOf } from "../discovery/subresources.ts";

/** meta/v1 kinds every group version serves (options and watch events travel in all of them). */
const sharedInEveryGroupVersion = ["meta/v1.DeleteOptions", "meta/v1.WatchEvent"];
/** meta/v1 kinds that only the core group version names. */
const coreOnly = [
  "meta/v1.Status",
  "meta/v1.APIVersions",
  "meta/v1.APIGroup",
  "meta/v1.APIGroupList",
  "meta/v1.APIResourceList",
];

export function definitionGvks(kinds: readonly KindDefinition[]): Map<string, GroupVersionKind[]> {
  const gvks = new Map<string, GroupVersionKind[]>();
  const add = (ref: string, gvk: GroupVersionKind) => {
    const list = gvks.get(ref) ?? [];
    if (
      !list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)
    ) {
      list.push(gvk);
    }
    gvks.set(ref, list);
  };
  const groupVersions = new Map<string, { group: string; version: string }>([
    ["/v1", { group: "", version: "v1" }],
  ]);
  for (const kind of kinds) {
    groupVersions.set(`${kind.group}/${kind.version}`, {
      group: kind.group,
      version: kind.version,
    });
    add(kind.schemaRef, { group: kind.group, version: kind.version, kind: kind.kind });
    const listRef = `${kind.schemaRef}List`;
    if (typeSchema(listRef)) {
      add(listRef, { group: kind.group, version: kind.version, kind: `${kind.kind}List` });
    }
    for (const sub of subresourcesOf(kind)) {
      if (sub.schemaRef && sub.schemaRef !== kind.schemaRef) {
        add(sub.schemaRef, { group: sub.group, version: sub.version, kind: sub.kind });
      }
    }
  }
  const sorted = [...groupVersions.values()].sort((a, b) =>
    a.group === b.group ? compareStrings(a.version, b.version) : compareStrings(a.group, b.group),
  );
  for (const ref of sharedInEveryGroupVersion) {
    const kind = ref.slice(ref.indexOf(".") + 1);
    for (const gv of sorted) add(ref, { ...gv, kind });
  }
  for (const ref of coreOnly) {
    add(ref, { group: "", version: "v1", kind: ref.slice(ref.indexOf(".") + 1) });
  }
  return gvks;
}
