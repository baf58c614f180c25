export { NodeGraph, type ObjectName } from "./graph.ts";
export {
  nodeIdentity,
  nodeLeaseNamespace,
  nodeNameOf,
  nodesGroup,
  nodeUserPrefix,
} from "./identity.ts";
export { type NodeAttributes, NodeAuthorizer } from "./node-authorizer.ts";
export { checkNodeDelete, mirrorPodAnnotation, NodeRestriction } from "./node-restriction.ts";
