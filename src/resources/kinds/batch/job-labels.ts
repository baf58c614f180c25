/**
 * Pod labels that tie a Job's pods to it. The Job strategy writes them into the template
 * and the selector; the Job controller and `kubectl` read them. The unprefixed pair
 * predates the rule that Kubernetes-owned labels carry a kubernetes.io prefix and is
 * still written for older clients.
 */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const LEGACY_JOB_NAME_LABEL = "job-name";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";
