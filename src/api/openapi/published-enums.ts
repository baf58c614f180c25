/**
 * Which enum types the OpenAPI documents publish as `enum`.
 *
 * The schema lists the values of every typed string constant set, but many
 * of those sets are open (condition types, resource names, secret types):
 * Kubernetes accepts values outside them, and a client that validates against
 * a published `enum` would reject valid objects. Upstream publishes only types
 * marked `+enum`; this is that list (kubernetes/api v0.36.3). The schema
 * generator does not carry the marker yet: when it does, this file goes.
 */
import { RawFieldIndex, type RawType } from "../../resources/schema/raw-schema.ts";
import type { FieldSchema } from "../../resources/schema/schema.ts";
import { TYPES } from "../../resources/schema/types.generated.ts";

const closedEnums = new Set([
  "core/v1.PersistentVolumeReclaimPolicy",
  "core/v1.PersistentVolumeMode",
  "core/v1.ClaimResourceStatus",
  "core/v1.PersistentVolumeClaimModifyVolumeStatus",
  "core/v1.PersistentVolumeAccessMode",
  "core/v1.PersistentVolumePhase",
  "core/v1.PersistentVolumeClaimPhase",
  "core/v1.HostPathType",
  "core/v1.Protocol",
  "core/v1.AzureDataDiskCachingMode",
  "core/v1.AzureDataDiskKind",
  "core/v1.MountPropagationMode",
  "core/v1.URIScheme",
  "core/v1.PullPolicy",
  "core/v1.PreemptionPolicy",
  "core/v1.TerminationMessagePolicy",
  "core/v1.Signal",
  "core/v1.PodPhase",
  "core/v1.RestartPolicy",
  "core/v1.DNSPolicy",
  "core/v1.NodeSelectorOperator",
  "core/v1.TaintEffect",
  "core/v1.TolerationOperator",
  "core/v1.UnsatisfiableConstraintAction",
  "core/v1.NodeInclusionPolicy",
  "core/v1.PodFSGroupChangePolicy",
  "core/v1.SupplementalGroupsPolicy",
  "core/v1.SeccompProfileType",
  "core/v1.AppArmorProfileType",
  "core/v1.PodQOSClass",
  "core/v1.ServiceAffinity",
  "core/v1.ServiceType",
  "core/v1.ServiceInternalTrafficPolicy",
  "core/v1.ServiceExternalTrafficPolicy",
  "core/v1.IPFamily",
  "core/v1.IPFamilyPolicy",
  "core/v1.NodePhase",
  "core/v1.NamespacePhase",
  "core/v1.ResourceQuotaScope",
  "core/v1.ScopeSelectorOperator",
  "core/v1.ProcMountType",
  "apps/v1.PodManagementPolicyType",
  "apps/v1.StatefulSetUpdateStrategyType",
  "apps/v1.DeploymentStrategyType",
  "apps/v1.DaemonSetUpdateStrategyType",
  "batch/v1.CompletionMode",
  "batch/v1.PodFailurePolicyAction",
  "batch/v1.PodFailurePolicyOnExitCodesOperator",
  "batch/v1.PodReplacementPolicy",
  "batch/v1.ConcurrencyPolicy",
  "discovery/v1.AddressType",
  "networking/v1.PolicyType",
  "networking/v1.PathType",
  "certificates/v1.KeyUsage",
  "policy/v1.UnhealthyPodEvictionPolicyType",
  "storage/v1.VolumeBindingMode",
  "autoscaling/v1.MetricSourceType",
  "admissionregistration/v1.ScopeType",
  "admissionregistration/v1.FailurePolicyType",
  "admissionregistration/v1.MatchPolicyType",
  "admissionregistration/v1.SideEffectClass",
  "admissionregistration/v1.ValidationAction",
  "admissionregistration/v1.PatchType",
  "admissionregistration/v1.ReinvocationPolicyType",
  "admissionregistration/v1.OperationType",
]);

let enumTypes: Map<string, string> | undefined;

/**
 * The enum values to publish for a field of `ownerRef` (for a list, the values
 * of its elements), or undefined when its type is an open set.
 */
export function publishedEnum(ownerRef: string, field: FieldSchema): string[] | undefined {
  if (!field.enum) return undefined;
  enumTypes ??= indexEnumTypes(TYPES);
  const declaring = field.inlinedFrom ?? ownerRef;
  const enumType = enumTypes.get(`${declaring}#${field.json}`);
  return enumType && closedEnums.has(enumType) ? field.enum : undefined;
}

/** "<declaring type>#<json name>" → the enum type the generator recorded for the field. */
function indexEnumTypes(types: readonly RawType[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const [ref, fields] of types) {
    for (const raw of fields) {
      const enumType = raw[RawFieldIndex.Enum];
      if (typeof enumType === "string" && enumType) {
        index.set(`${ref}#${raw[RawFieldIndex.Json]}`, enumType);
      }
    }
  }
  return index;
}
