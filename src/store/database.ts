import postgres from "postgres";

/** A postgres.js client; every store query goes through one of these. */
export type Sql = postgres.Sql;

export interface DatabaseOptions {
  /** `postgres://…` URL, or a Unix-socket directory (the embedded database). */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  /** Pool size; the write batcher uses one connection at a time, reads the rest. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** Seconds before a connection is recycled; 0 keeps it for good (session state). */
  maxLifetimeSeconds?: number;
  /** TCP keepalive interval in seconds (postgres.js default 60). */
  keepAliveSeconds?: number;
  connectTimeoutSeconds?: number;
  /** Called when a connection closes, for whatever reason. */
  onClose?: () => void;
}

/**
 * Opens a connection pool. bigint columns (revisions) are parsed as numbers: they
 * stay far below 2^53, and numbers are what resourceVersion arithmetic wants.
 */
export function openDatabase(options: DatabaseOptions): Sql {
  const common = {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "kubun" },
    ...(options.maxLifetimeSeconds !== undefined
      ? { max_lifetime: options.maxLifetimeSeconds }
      : {}),
    ...(options.keepAliveSeconds !== undefined ? { keep_alive: options.keepAliveSeconds } : {}),
    ...(options.connectTimeoutSeconds !== undefined
      ? { connect_timeout: options.connectTimeoutSeconds }
      : {}),
    ...(options.onClose ? { onclose: options.onClose } : {}),
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => value.toString(),
        parse: (value: string) => Number(value),
      },
    },
  };
  if (options.url) {
    const { url, socketDir } = splitSocketHost(options.url);
    return postgres(url, socketDir ? { ...common, host: socketDir } : common);
  }
  return postgres({
    ...common,
    host: options.host,
    port: options.port,
    username: options.user,
    database: options.database,
  });
}

/**
 * libpq accepts a Unix-socket directory as `?host=/dir` (`postgres://user@/db?host=/run/pg`);
 * postgres.js does not read that parameter, so it is taken out and passed as `host`.
 */
function splitSocketHost(url: string): { url: string; socketDir?: string } {
  const query = url.indexOf("?");
  if (query < 0) return { url };
  const params = new URLSearchParams(url.slice(query + 1));
  const host = params.get("host");
  if (!host?.startsWith("/")) return { url };
  params.delete("host");
  const rest = params.toString();
  return { url: url.slice(0, query) + (rest ? `?${rest}` : ""), socketDir: host };
}
