/**
 * Leveled, structured log lines on stderr: `time level component message key=value…`.
 * The level comes from KUBUN_LOG (debug, info, warn, error; default info) so that
 * debug lines on hot paths cost one comparison when they are off.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function levelFromEnv(): LogLevel {
  const value = (process.env.KUBUN_LOG ?? "info").toLowerCase();
  return value in rank ? (value as LogLevel) : "info";
}

let threshold = rank[levelFromEnv()];

export function setLogLevel(level: LogLevel): void {
  threshold = rank[level];
}

export type LogFields = Record<string, unknown>;

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w./:@-]*$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

export class Logger {
  constructor(readonly component: string) {}

  isDebug(): boolean {
    return threshold <= rank.debug;
  }

  debug(message: string, fields?: LogFields): void {
    if (threshold <= rank.debug) this.write("debug", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    if (threshold <= rank.info) this.write("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    if (threshold <= rank.warn) this.write("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    if (threshold <= rank.error) this.write("error", message, fields);
  }

  child(component: string): Logger {
    return new Logger(`${this.component}/${component}`);
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    let line = `${new Date().toISOString()} ${level.padEnd(5)} ${this.component}: ${message}`;
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
      }
    }
    process.stderr.write(`${line}\n`);
  }
}

export function logger(component: string): Logger {
  return new Logger(component);
}
