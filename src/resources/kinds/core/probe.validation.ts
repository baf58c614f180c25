/**
 * Probes and lifecycle hooks of containers (upstream validateProbe, validateHandler,
 * validateLifecycle): exactly one handler each, non-negative timings.
 */
import {
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isValidPortName, isValidPortNum } from "../../validation/port.ts";
import { regexError } from "../../validation/validation-messages.ts";
import {
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringList,
  stringOf,
} from "./json-value.ts";
import { NEGATIVE_MESSAGE } from "./resource-requirements.ts";

const httpHeaderNameRegexp = /^[-A-Za-z0-9]+$/;

/** A port given as a number (1-65535) or as the name of a container port. */
export function validatePortNumOrName(port: unknown, path: FieldPath): FieldError[] {
  if (typeof port === "number") return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === "string") return isValidPortName(port).map((m) => invalid(path, port, m));
  return isValidPortNum(0).map((m) => invalid(path, 0, m));
}

export function validateNonnegative(value: unknown, path: FieldPath): FieldError[] {
  return typeof value === "number" && value < 0 ? [invalid(path, value, NEGATIVE_MESSAGE)] : [];
}

interface ProbeOptions {
  gracePeriod: number | undefined;
}

export function validateLivenessProbe(
  probe: unknown,
  path: FieldPath,
  options: ProbeOptions,
): FieldError[] {
  if (!isRecord(probe)) return [];
  const errors = validateProbe(probe, path, options);
  if (probe.successThreshold !== 1) {
    errors.push(invalid(path.child("successThreshold"), probe.successThreshold ?? 0, "must be 1"));
  }
  return errors;
}

export const validateStartupProbe = validateLivenessProbe;

export function validateReadinessProbe(
  probe: unknown,
  path: FieldPath,
  options: ProbeOptions,
): FieldError[] {
  if (!isRecord(probe)) return [];
  const errors = validateProbe(probe, path, options);
  if (
    probe.terminationGracePeriodSeconds !== undefined &&
    probe.terminationGracePeriodSeconds !== null
  ) {
    errors.push(
      invalid(
        path.child("terminationGracePeriodSeconds"),
        probe.terminationGracePeriodSeconds,
        "must not be set for readinessProbes",
      ),
    );
  }
  return errors;
}

function validateProbe(probe: JsonRecord, path: FieldPath, options: ProbeOptions): FieldError[] {
  const errors = validateHandler(probe, ["exec", "httpGet", "tcpSocket", "grpc"], path, options);
  for (const field of [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
  ]) {
    errors.push(...validateNonnegative(probe[field], path.child(field)));
  }
  const grace = probe.terminationGracePeriodSeconds;
  if (typeof grace === "number" && grace <= 0) {
    errors.push(
      invalid(path.child("terminationGracePeriodSeconds"), grace, "must be greater than 0"),
    );
  }
  return errors;
}

export function validateLifecycle(
  lifecycle: JsonRecord,
  path: FieldPath,
  options: ProbeOptions,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const hook of ["postStart", "preStop"]) {
    const handler = recordOf(lifecycle[hook]);
    if (handler) {
      errors.push(
        ...validateHandler(
          handler,
          ["exec", "httpGet", "tcpSocket", "sleep"],
          path.child(hook),
          options,
        ),
      );
    }
  }
  return errors;
}

function validateHandler(
  handler: JsonRecord,
  kinds: readonly string[],
  path: FieldPath,
  options: ProbeOptions,
): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const kind of ["exec", "httpGet", "tcpSocket", "grpc", "sleep"]) {
    const action = recordOf(handler[kind]);
    if (!action || !kinds.includes(kind)) continue;
    const actionPath = path.child(kind);
    if (count > 0) {
      errors.push(forbidden(actionPath, "may not specify more than 1 handler type"));
      continue;
    }
    count++;
    errors.push(...validateAction(kind, action, actionPath, options));
  }
  if (count === 0) errors.push(required(path, "must specify a handler type"));
  return errors;
}

function validateAction(
  kind: string,
  action: JsonRecord,
  path: FieldPath,
  options: ProbeOptions,
): FieldError[] {
  switch (kind) {
    case "exec":
      return stringList(action.command).length === 0 ? [required(path.child("command"), "")] : [];
    case "httpGet": {
      const errors: FieldError[] = [];
      if (stringOf(action.path) === "") errors.push(required(path.child("path"), ""));
      errors.push(...validatePortNumOrName(action.port, path.child("port")));
      const scheme = stringOf(action.scheme);
      if (scheme !== "HTTP" && scheme !== "HTTPS") {
        errors.push(notSupported(path.child("scheme"), scheme, ["HTTP", "HTTPS"]));
      }
      for (const header of recordList(action.httpHeaders)) {
        const name = stringOf(header.name);
        if (!httpHeaderNameRegexp.test(name)) {
          errors.push(
            invalid(
              path.child("httpHeaders"),
              name,
              regexError(
                "a valid HTTP header must consist of alphanumeric characters or '-'",
                "[-A-Za-z0-9]+",
                "X-Header-Name",
              ),
            ),
          );
        }
      }
      return errors;
    }
    case "tcpSocket":
      return validatePortNumOrName(action.port, path.child("port"));
    case "grpc":
      return validatePortNumOrName(
        typeof action.port === "number" ? action.port : 0,
        path.child("port"),
      );
    default: {
      // sleep: PodLifecycleSleepActionAllowZero is on by default since 1.33.
      const seconds = typeof action.seconds === "number" ? action.seconds : 0;
      const grace = options.gracePeriod;
      if (grace !== undefined && (seconds < 0 || seconds > grace)) {
        return [
          invalid(
            path,
            seconds,
            `must be non-negative and less than terminationGracePeriodSeconds (${grace})`,
          ),
        ];
      }
      return [];
    }
  }
}
