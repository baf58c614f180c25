/**
 * The parameters of Kubernetes REST operations, described once and rendered
 * into both OpenAPI versions. kubectl reads them: it sends `fieldValidation`
 * (server-side validation) only when the PATCH operation of the kind lists it.
 */

export interface ApiParameter {
  name: string;
  in: "path" | "query";
  type: "string" | "boolean" | "integer";
  description: string;
  /** Path parameters are always required. */
  required?: boolean;
}

const query = (
  name: string,
  type: ApiParameter["type"],
  description: string,
): [string, ApiParameter] => [name, { name, in: "query", type, description }];

const path = (name: string, description: string): [string, ApiParameter] => [
  name,
  { name, in: "path", type: "string", description, required: true },
];

const table = new Map<string, ApiParameter>([
  path("namespace", "object name and auth scope, such as for teams and projects"),
  path("name", "name of the object"),
  path("path", "path to the resource"),
  query("pretty", "string", "If 'true', then the output is pretty printed."),
  query(
    "allowWatchBookmarks",
    "boolean",
    'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers may ignore it and send bookmarks at their discretion.',
  ),
  query(
    "continue",
    "string",
    "The continue token of a previous paginated list call, to fetch the next chunk of results.",
  ),
  query(
    "fieldSelector",
    "string",
    "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
  ),
  query(
    "labelSelector",
    "string",
    "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
  ),
  query(
    "limit",
    "integer",
    "The maximum number of objects to return; the list metadata carries a continue token when more exist.",
  ),
  query(
    "resourceVersion",
    "string",
    "resourceVersion sets a constraint on what resource versions a request may be served from.",
  ),
  query(
    "resourceVersionMatch",
    "string",
    "resourceVersionMatch determines how resourceVersion is applied to list calls.",
  ),
  query(
    "sendInitialEvents",
    "boolean",
    "With watch=true, start the watch stream with synthetic events for the current state of all objects.",
  ),
  query(
    "timeoutSeconds",
    "integer",
    "Timeout for the list/watch call, regardless of any activity or inactivity.",
  ),
  query(
    "watch",
    "boolean",
    "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
  ),
  query(
    "dryRun",
    "string",
    "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
  ),
  query(
    "fieldManager",
    "string",
    "fieldManager is a name associated with the actor or entity that is making these changes.",
  ),
  query(
    "fieldValidation",
    "string",
    "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
  ),
  query(
    "force",
    "boolean",
    'Force is going to "force" Apply requests: it re-acquires conflicting fields owned by other people. Must be unset for non-apply patch requests.',
  ),
  query(
    "gracePeriodSeconds",
    "integer",
    "The duration in seconds before the object should be deleted. Zero means delete immediately.",
  ),
  query(
    "orphanDependents",
    "boolean",
    "Deprecated: use propagationPolicy. Whether the dependent objects should be orphaned.",
  ),
  query(
    "propagationPolicy",
    "string",
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
  ),
  query(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "If set, delete an object that cannot be read from storage (corrupt). Use with care.",
  ),
  query("container", "string", "The container for which to stream logs or run the command."),
  query("follow", "boolean", "Follow the log stream of the pod."),
  query(
    "insecureSkipTLSVerifyBackend",
    "boolean",
    "Do not verify the serving certificate of the backend the logs are read from.",
  ),
  query("limitBytes", "integer", "The number of bytes to read from the server before stopping."),
  query("previous", "boolean", "Return previous terminated container logs."),
  query(
    "sinceSeconds",
    "integer",
    "A relative time in seconds before now from which to show logs.",
  ),
  query("stream", "string", "The log stream to return: All, Stdout or Stderr."),
  query("tailLines", "integer", "The number of lines from the end of the logs to show."),
  query("timestamps", "boolean", "Add an RFC3339 timestamp at the beginning of every line."),
  query("command", "string", "Command is the remote command to execute; argv array."),
  query("stderr", "boolean", "Redirect the standard error stream of the container."),
  query("stdin", "boolean", "Redirect the standard input stream of the container."),
  query("stdout", "boolean", "Redirect the standard output stream of the container."),
  query("tty", "boolean", "Allocate a terminal for the call."),
  query("ports", "integer", "List of ports to forward."),
]);

/** The parameter called `name`; an unknown name is a bug in the caller. */
export function parameter(name: string): ApiParameter {
  const found = table.get(name);
  if (!found) throw new Error(`openapi: no parameter named ${name}`);
  return found;
}

/** Parameters by name, in the given order. */
export function parameters(...names: string[]): ApiParameter[] {
  return names.map(parameter);
}
