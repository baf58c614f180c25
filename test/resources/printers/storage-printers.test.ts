import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { storagePrinters } from "../../../src/resources/printers/storage-printers.ts";
import { ago, cellsByColumn, days } from "./printer-fixtures.ts";

function columnsOf(key: string) {
  return storagePrinters[key]?.columns ?? [];
}

const meta = { name: "data", creationTimestamp: ago(days(9)) };

describe("persistent volume printer", () => {
  const columns = columnsOf("persistentvolumes");

  test("prints a bound volume", () => {
    const pv: KubeObject = {
      metadata: meta,
      spec: {
        capacity: { storage: "10240Mi" },
        accessModes: ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        claimRef: { namespace: "shop", name: "db-data" },
        storageClassName: "local",
        volumeMode: "Filesystem",
      },
      status: { phase: "Bound" },
    };
    expect(cellsByColumn("", "persistentvolumes", pv, columns)).toEqual({
      Name: "data",
      Capacity: "10Gi",
      "Access Modes": "RWO,RWX",
      "Reclaim Policy": "Retain",
      Status: "Bound",
      Claim: "shop/db-data",
      StorageClass: "local",
      VolumeAttributesClass: "<unset>",
      Reason: "",
      Age: "9d",
      VolumeMode: "Filesystem",
    });
  });

  test("prints Terminating while deleted and prefers the beta class annotation", () => {
    const pv: KubeObject = {
      metadata: {
        ...meta,
        deletionTimestamp: ago(0),
        annotations: { "volume.beta.kubernetes.io/storage-class": "" },
      },
      spec: { storageClassName: "local", accessModes: ["ReadWriteOncePod"] },
      status: { phase: "Released", reason: "Reclaiming" },
    };
    expect(cellsByColumn("", "persistentvolumes", pv, columns)).toMatchObject({
      Capacity: "0",
      "Access Modes": "RWOP",
      Status: "Terminating",
      Claim: "",
      StorageClass: "",
      Reason: "Reclaiming",
      VolumeMode: "<unset>",
    });
  });
});

describe("persistent volume claim printer", () => {
  const columns = columnsOf("persistentvolumeclaims");

  test("prints capacity and access modes from status once bound", () => {
    const pvc: KubeObject = {
      metadata: meta,
      spec: {
        volumeName: "pv-1",
        storageClassName: "local",
        volumeAttributesClassName: "gold",
        volumeMode: "Block",
        resources: { requests: { storage: "1Gi" } },
      },
      status: { phase: "Bound", capacity: { storage: "2Gi" }, accessModes: ["ReadWriteOnce"] },
    };
    expect(cellsByColumn("", "persistentvolumeclaims", pvc, columns)).toEqual({
      Name: "data",
      Status: "Bound",
      Volume: "pv-1",
      Capacity: "2Gi",
      "Access Modes": "RWO",
      StorageClass: "local",
      VolumeAttributesClass: "gold",
      Age: "9d",
      VolumeMode: "Block",
    });
  });

  test("prints no capacity before binding", () => {
    const pvc: KubeObject = {
      metadata: meta,
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      status: { phase: "Pending" },
    };
    expect(cellsByColumn("", "persistentvolumeclaims", pvc, columns)).toMatchObject({
      Status: "Pending",
      Volume: "",
      Capacity: "",
      "Access Modes": "",
      StorageClass: "",
    });
  });
});

describe("storage class printer", () => {
  const columns = columnsOf("storageclasses.storage.k8s.io");

  test("marks the default class and prints the API defaults for unset fields", () => {
    const storageClass: KubeObject = {
      metadata: {
        name: "local",
        creationTimestamp: ago(days(9)),
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "kubun.io/local",
    };
    expect(cellsByColumn("storage.k8s.io", "storageclasses", storageClass, columns)).toEqual({
      Name: "local (default)",
      Provisioner: "kubun.io/local",
      ReclaimPolicy: "Delete",
      VolumeBindingMode: "Immediate",
      AllowVolumeExpansion: false,
      Age: "9d",
    });
  });

  test("prints the set fields of a non-default class", () => {
    const storageClass: KubeObject = {
      metadata: {
        name: "slow",
        annotations: { "storageclass.kubernetes.io/is-default-class": "false" },
      },
      provisioner: "kubun.io/local",
      reclaimPolicy: "Retain",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    };
    expect(cellsByColumn("storage.k8s.io", "storageclasses", storageClass, columns)).toMatchObject({
      Name: "slow",
      ReclaimPolicy: "Retain",
      VolumeBindingMode: "WaitForFirstConsumer",
      AllowVolumeExpansion: true,
    });
  });
});

describe("CSI and attachment printers", () => {
  test("a volume attachment prints attacher, volume, node and state", () => {
    const attachment: KubeObject = {
      metadata: meta,
      spec: {
        attacher: "csi.example.com",
        nodeName: "n1",
        source: { persistentVolumeName: "pv-1" },
      },
      status: { attached: true },
    };
    const columns = columnsOf("volumeattachments.storage.k8s.io");
    expect(cellsByColumn("storage.k8s.io", "volumeattachments", attachment, columns)).toEqual({
      Name: "data",
      Attacher: "csi.example.com",
      PV: "pv-1",
      Node: "n1",
      Attached: true,
      Age: "9d",
    });
  });

  test("a CSI driver prints upstream's defaults for unset fields", () => {
    const columns = columnsOf("csidrivers.storage.k8s.io");
    const bare = cellsByColumn(
      "storage.k8s.io",
      "csidrivers",
      { metadata: meta, spec: {} },
      columns,
    );
    expect(bare).toEqual({
      Name: "data",
      AttachRequired: true,
      PodInfoOnMount: false,
      StorageCapacity: false,
      TokenRequests: "<unset>",
      RequiresRepublish: false,
      Modes: "<none>",
      Age: "9d",
    });
    const driver: KubeObject = {
      metadata: meta,
      spec: {
        attachRequired: false,
        tokenRequests: [{ audience: "vault" }, { audience: "" }],
        volumeLifecycleModes: ["Persistent", "Ephemeral"],
      },
    };
    expect(cellsByColumn("storage.k8s.io", "csidrivers", driver, columns)).toMatchObject({
      AttachRequired: false,
      TokenRequests: "vault,",
      Modes: "Persistent,Ephemeral",
    });
  });

  test("a CSI node counts drivers; a storage capacity prints its quantity or <unset>", () => {
    const node: KubeObject = { metadata: meta, spec: { drivers: [{ name: "a" }, { name: "b" }] } };
    expect(
      cellsByColumn("storage.k8s.io", "csinodes", node, columnsOf("csinodes.storage.k8s.io")),
    ).toEqual({ Name: "data", Drivers: 2, Age: "9d" });
    const columns = columnsOf("csistoragecapacities.storage.k8s.io");
    const capacity: KubeObject = { metadata: meta, storageClassName: "local", capacity: "1024Mi" };
    expect(cellsByColumn("storage.k8s.io", "csistoragecapacities", capacity, columns)).toEqual({
      Name: "data",
      StorageClassName: "local",
      Capacity: "1Gi",
    });
    const unknown = cellsByColumn(
      "storage.k8s.io",
      "csistoragecapacities",
      { metadata: meta },
      columns,
    );
    expect(unknown.Capacity).toBe("<unset>");
  });
});
