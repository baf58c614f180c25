/**
 * Keys of ConfigMap and Secret data (upstream IsConfigMapKey): they become file names
 * when mounted, so they are limited to a safe character set and may not walk out of the
 * mount directory.
 */
import { DNS1123_SUBDOMAIN_MAX_LENGTH } from "../../validation/dns-name.ts";
import { maxLenError, regexError, utf8Length } from "../../validation/validation-messages.ts";

const configMapKeyFmt = "[-._a-zA-Z0-9]+";
const configMapKeyErrMsg =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const configMapKeyRegexp = new RegExp(`^${configMapKeyFmt}$`);

export function isConfigMapKey(value: string): string[] {
  const errors: string[] = [];
  if (utf8Length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    errors.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  }
  if (!configMapKeyRegexp.test(value)) {
    errors.push(
      regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"),
    );
  }
  errors.push(...chDirPrefixErrors(value));
  return errors;
}

/** "." and ".." (and names starting with "..") would name a directory, not a file. */
function chDirPrefixErrors(value: string): string[] {
  if (value === ".") return ["must not be '.'"];
  if (value === "..") return ["must not be '..'"];
  if (value.startsWith("..")) return ["must not start with '..'"];
  return [];
}

/**
 * An environment variable name under the relaxed rule (RelaxedEnvironmentVariableValidation,
 * on by default since Kubernetes 1.32): any printable ASCII except '='.
 */
export function isRelaxedEnvVarName(value: string): string[] {
  const errors: string[] = [];
  if (value.length === 0) errors.push("environment variable name must be non-empty");
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x3d) {
      errors.push(
        "a valid environment variable name must consist only of printable ASCII characters other than '='",
      );
      break;
    }
  }
  return errors;
}
