/**
 * Request bodies kubectl 1.33 (kubectl.1.33 --server http://127.0.0.1:PORT …)
 * sent as application/vnd.kubernetes.protobuf to a loopback stub that
 * answered /version and aggregated discovery and recorded each POST body.
 *
 * `expected` is the JSON of the same object:
 * - "kubectl-dry-run": what `kubectl.1.33 <command> --dry-run=client -o json`
 *   printed for the same command;
 * - "go-json-rules": no dry run exists (auth can-i, create token), so the JSON
 *   Go's encoding/json prints for the decoded struct, written out by hand.
 */
export interface KubectlBody {
  command: string;
  path: string;
  /** base64 of the raw request body, magic included. */
  body: string;
  source: "kubectl-dry-run" | "go-json-rules";
  expected: Record<string, unknown>;
}

export const kubectlBodies: readonly KubectlBody[] = [
  {
    command: "create configmap x --from-literal=a=b",
    path: "/api/v1/namespaces/default/configmaps",
    body: "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEhsKEQoBeBIAGgAiACoAMgA4AEIAEgYKAWESAWIaACIA",
    source: "kubectl-dry-run",
    expected: {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "x", creationTimestamp: null },
      data: { a: "b" },
    },
  },
  {
    command: "create deployment d --image=nginx --replicas=2",
    path: "/apis/apps/v1/namespaces/default/deployments",
    body: "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EqMBChsKAWQSABoAIgAqADIAOABCAFoICgNhcHASAWQSdggCEgoKCAoDYXBwEgFkGl4KGgoAEgAaACIAKgAyADgAQgBaCAoDYXBwEgFkEkASIgoFbmdpbngSBW5naW54KgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=",
    source: "kubectl-dry-run",
    expected: {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { name: "d", creationTimestamp: null, labels: { app: "d" } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "d" } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: "d" } },
          spec: { containers: [{ name: "nginx", image: "nginx", resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    command:
      "create secret generic s --from-literal=k=v --from-file=blob=<bytes 62 69 6e 00 ff fe 01>",
    path: "/api/v1/namespaces/default/secrets",
    body: "azhzAAoMCgJ2MRIGU2VjcmV0Ei4KEQoBcxIAGgAiACoAMgA4AEIAEg8KBGJsb2ISB2JpbgD//gESBgoBaxIBdhoAGgAiAA==",
    source: "kubectl-dry-run",
    expected: {
      kind: "Secret",
      apiVersion: "v1",
      metadata: { name: "s", creationTimestamp: null },
      data: { blob: "YmluAP/+AQ==", k: "dg==" },
    },
  },
  {
    command:
      "create configmap bin --from-file=blob=<bytes 62 69 6e 00 ff fe 01> --from-literal=text=hello",
    path: "/api/v1/namespaces/default/configmaps",
    body: "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjUKEwoDYmluEgAaACIAKgAyADgAQgASDQoEdGV4dBIFaGVsbG8aDwoEYmxvYhIHYmluAP/+ARoAIgA=",
    source: "kubectl-dry-run",
    expected: {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "bin", creationTimestamp: null },
      data: { text: "hello" },
      binaryData: { blob: "YmluAP/+AQ==" },
    },
  },
  {
    command: "create service clusterip my-svc --tcp=5678:8080",
    path: "/api/v1/namespaces/default/services",
    body: "azhzAAoNCgJ2MRIHU2VydmljZRJ1CiUKBm15LXN2YxIAGgAiACoAMgA4AEIAWg0KA2FwcBIGbXktc3ZjEkgKHgoJNTY3OC04MDgwEgNUQ1AYriwiBwgAEJA/GgAoABINCgNhcHASBm15LXN2YxoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==",
    source: "kubectl-dry-run",
    expected: {
      kind: "Service",
      apiVersion: "v1",
      metadata: { name: "my-svc", creationTimestamp: null, labels: { app: "my-svc" } },
      spec: {
        ports: [{ name: "5678-8080", protocol: "TCP", port: 5678, targetPort: 8080 }],
        selector: { app: "my-svc" },
        type: "ClusterIP",
      },
      status: { loadBalancer: {} },
    },
  },
  {
    command: "create poddisruptionbudget pdb --selector=app=x --min-available=50%",
    path: "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
    body: "azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSOgoTCgNwZGISABoAIgAqADIAOABCABIXCgkIARAAGgM1MCUSCgoICgNhcHASAXgaCggAGAAgACgAMAAaACIA",
    source: "kubectl-dry-run",
    expected: {
      kind: "PodDisruptionBudget",
      apiVersion: "policy/v1",
      metadata: { name: "pdb", creationTimestamp: null },
      spec: { minAvailable: "50%", selector: { matchLabels: { app: "x" } } },
      status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    },
  },
  {
    command: "create deployment multi --image=nginx --image=busybox --port=80",
    path: "/apis/apps/v1/namespaces/default/deployments",
    body: "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EukBCiMKBW11bHRpEgAaACIAKgAyADgAQgBaDAoDYXBwEgVtdWx0aRKzAQgBEg4KDAoDYXBwEgVtdWx0aRqWAQoeCgASABoAIgAqADIAOABCAFoMCgNhcHASBW11bHRpEnQSLgoFbmdpbngSBW5naW54KgAyCgoAEAAYUCIAKgBCAGoAcgCAAQCIAQCQAQCiAQASJgoHYnVzeWJveBIHYnVzeWJveCoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA",
    source: "kubectl-dry-run",
    expected: {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { name: "multi", creationTimestamp: null, labels: { app: "multi" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "multi" } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: "multi" } },
          spec: {
            containers: [
              { name: "nginx", image: "nginx", ports: [{ containerPort: 80 }], resources: {} },
              { name: "busybox", image: "busybox", resources: {} },
            ],
          },
        },
        strategy: {},
      },
      status: {},
    },
  },
  {
    command: "create quota q --hard=cpu=1,memory=1G,pods=10",
    path: "/api/v1/namespaces/default/resourcequotas",
    body: "azhzAAoTCgJ2MRINUmVzb3VyY2VRdW90YRJBChEKAXESABoAIgAqADIAOABCABIqCgoKA2NwdRIDCgExCg4KBm1lbW9yeRIECgIxRwoMCgRwb2RzEgQKAjEwGgAaACIA",
    source: "kubectl-dry-run",
    expected: {
      kind: "ResourceQuota",
      apiVersion: "v1",
      metadata: { name: "q", creationTimestamp: null },
      spec: { hard: { cpu: "1", memory: "1G", pods: "10" } },
      status: {},
    },
  },
  {
    command: "create priorityclass pc --value=1000 --description=important",
    path: "/apis/scheduling.k8s.io/v1/priorityclasses",
    body: "azhzAAolChRzY2hlZHVsaW5nLms4cy5pby92MRINUHJpb3JpdHlDbGFzcxI6ChIKAnBjEgAaACIAKgAyADgAQgAQ6AcYACIJaW1wb3J0YW50KhRQcmVlbXB0TG93ZXJQcmlvcml0eRoAIgA=",
    source: "kubectl-dry-run",
    expected: {
      kind: "PriorityClass",
      apiVersion: "scheduling.k8s.io/v1",
      metadata: { name: "pc", creationTimestamp: null },
      value: 1000,
      description: "important",
      preemptionPolicy: "PreemptLowerPriority",
    },
  },
  {
    command: "create role r --verb=get --verb=list --resource=pods",
    path: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
    body: "azhzAAokChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgRSb2xlEigKEQoBchIAGgAiACoAMgA4AEIAEhMKA2dldAoEbGlzdBIAGgRwb2RzGgAiAA==",
    source: "kubectl-dry-run",
    expected: {
      kind: "Role",
      apiVersion: "rbac.authorization.k8s.io/v1",
      metadata: { name: "r", creationTimestamp: null },
      rules: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }],
    },
  },
  {
    command: "create job j --image=busybox -- echo hi",
    path: "/apis/batch/v1/namespaces/default/jobs",
    body: "azhzAAoPCghiYXRjaC92MRIDSm9iEoIBChEKAWoSABoAIgAqADIAOABCABJjMmEKEAoAEgAaACIAKgAyADgAQgASTRIqCgFqEgdidXN5Ym94GgRlY2hvGgJoaSoAQgBqAHIAgAEAiAEAkAEAogEAGgVOZXZlcjIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAGgggACgAMAA6ABoAIgA=",
    source: "kubectl-dry-run",
    expected: {
      kind: "Job",
      apiVersion: "batch/v1",
      metadata: { name: "j", creationTimestamp: null },
      spec: {
        template: {
          metadata: { creationTimestamp: null },
          spec: {
            containers: [{ name: "j", image: "busybox", command: ["echo", "hi"], resources: {} }],
            restartPolicy: "Never",
          },
        },
      },
      status: {},
    },
  },
  {
    command: "auth can-i get pods",
    path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    body: "azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSPAoQCgASABoAIgAqADIAOABCABIeChwKB2RlZmF1bHQSA2dldBoAIgAqBHBvZHMyADoAGggIABIAGgAgABoAIgA=",
    source: "go-json-rules",
    expected: {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: {},
      spec: { resourceAttributes: { namespace: "default", verb: "get", resource: "pods" } },
      status: { allowed: false },
    },
  },
  {
    command: "auth can-i create deployments.apps --subresource=scale -n kube-system",
    path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    body: "azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSUwoQCgASABoAIgAqADIAOABCABI1CjMKC2t1YmUtc3lzdGVtEgZjcmVhdGUaBGFwcHMiACoLZGVwbG95bWVudHMyBXNjYWxlOgAaCAgAEgAaACAAGgAiAA==",
    source: "go-json-rules",
    expected: {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: "kube-system",
          verb: "create",
          group: "apps",
          resource: "deployments",
          subresource: "scale",
        },
      },
      status: { allowed: false },
    },
  },
  {
    command: "create token default",
    path: "/api/v1/namespaces/default/serviceaccounts/default/token",
    body: "azhzAAooChhhdXRoZW50aWNhdGlvbi5rOHMuaW8vdjESDFRva2VuUmVxdWVzdBIaChAKABIAGgAiACoAMgA4AEIAEgAaBAoAEgAaACIA",
    source: "go-json-rules",
    expected: {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: {},
      spec: { audiences: null, expirationSeconds: null, boundObjectRef: null },
      status: { token: "", expirationTimestamp: null },
    },
  },
  {
    command: "create token builder --audience=a --audience=b --duration=1h",
    path: "/api/v1/namespaces/default/serviceaccounts/builder/token",
    body: "azhzAAooChhhdXRoZW50aWNhdGlvbi5rOHMuaW8vdjESDFRva2VuUmVxdWVzdBIjChAKABIAGgAiACoAMgA4AEIAEgkKAWEKAWIgkBwaBAoAEgAaACIA",
    source: "go-json-rules",
    expected: {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: {},
      spec: { audiences: ["a", "b"], expirationSeconds: 3600, boundObjectRef: null },
      status: { token: "", expirationTimestamp: null },
    },
  },
];
