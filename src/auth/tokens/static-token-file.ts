import { readFile } from "node:fs/promises";
import type { UserInfo } from "../types.ts";

/** One line of a static token file: `token,user,uid[,"group1,group2"]`. */
export interface StaticTokenEntry {
  token: string;
  user: string;
  uid: string;
  groups: string[];
  /** Line the record starts on (1-based). */
  line: number;
}

interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Parses a --token-auth-file CSV as kube-apiserver does (Go's encoding/csv):
 * quoted fields with "" escapes, any number of columns but at least three,
 * blank lines skipped, no comment syntax (a "# …" line is a short record and
 * an error). Records with an empty token are skipped; a repeated token keeps
 * its last record. Errors name `source` and the line.
 */
export function parseStaticTokenFile(text: string, source = "token file"): StaticTokenEntry[] {
  const entries = new Map<string, StaticTokenEntry>();
  for (const record of parseCsv(text, source)) {
    const [token, user, uid, groups] = record.fields;
    if (token === undefined || user === undefined || uid === undefined) {
      throw new Error(
        `${source}: line ${record.line}: must have at least 3 columns (token, user name, user uid), found ${record.fields.length}`,
      );
    }
    if (token === "") continue;
    entries.delete(token);
    entries.set(token, {
      token,
      user,
      uid,
      // Upstream keeps an empty name from "" or "a,,b"; a nameless group can only confuse RBAC.
      groups: (groups ?? "").split(",").filter((group) => group !== ""),
      line: record.line,
    });
  }
  return [...entries.values()];
}

/** The static token authenticator (--token-auth-file). */
export class StaticTokens {
  readonly #users = new Map<string, UserInfo>();

  constructor(entries: readonly StaticTokenEntry[]) {
    for (const entry of entries) {
      const groups = [...new Set([...entry.groups, "system:authenticated"])];
      this.#users.set(entry.token, { user: entry.user, uid: entry.uid, groups });
    }
  }

  static async fromFile(path: string): Promise<StaticTokens> {
    return StaticTokens.fromCsv(await readFile(path, "utf8"), path);
  }

  static fromCsv(text: string, source?: string): StaticTokens {
    return new StaticTokens(parseStaticTokenFile(text, source));
  }

  get size(): number {
    return this.#users.size;
  }

  /** The user a token belongs to, or null when it is not in the file. */
  authenticate(token: string): UserInfo | null {
    if (token === "") return null;
    return this.#users.get(token) ?? null;
  }
}

function parseCsv(text: string, source: string): CsvRecord[] {
  const input = text.replace(/\r\n/g, "\n");
  const records: CsvRecord[] = [];
  const cursor = { input, source, index: 0, line: 1 };
  while (cursor.index < input.length) {
    if (input[cursor.index] === "\n") {
      cursor.index++;
      cursor.line++;
      continue;
    }
    const line = cursor.line;
    records.push({ fields: readRecord(cursor), line });
  }
  return records;
}

interface Cursor {
  readonly input: string;
  readonly source: string;
  index: number;
  line: number;
}

// Reads fields up to and including the record's end of line.
function readRecord(cursor: Cursor): string[] {
  const fields: string[] = [];
  for (;;) {
    fields.push(cursor.input[cursor.index] === '"' ? readQuoted(cursor) : readBare(cursor));
    const next = cursor.input[cursor.index];
    cursor.index++;
    if (next !== ",") {
      if (next === "\n") cursor.line++;
      return fields;
    }
  }
}

function readBare(cursor: Cursor): string {
  const start = cursor.index;
  for (; cursor.index < cursor.input.length; cursor.index++) {
    const char = cursor.input[cursor.index];
    if (char === "," || char === "\n") break;
    if (char === '"') throw csvError(cursor, 'bare " in non-quoted field');
  }
  return cursor.input.slice(start, cursor.index);
}

function readQuoted(cursor: Cursor): string {
  let value = "";
  cursor.index++;
  for (;;) {
    const char = cursor.input[cursor.index];
    if (char === undefined) throw csvError(cursor, 'extraneous or missing " in quoted field');
    cursor.index++;
    if (char === '"') {
      if (cursor.input[cursor.index] !== '"') break;
      cursor.index++;
    } else if (char === "\n") {
      cursor.line++;
    }
    value += char;
  }
  const next = cursor.input[cursor.index];
  if (next !== undefined && next !== "," && next !== "\n") {
    throw csvError(cursor, 'extraneous or missing " in quoted field');
  }
  return value;
}

function csvError(cursor: Cursor, message: string): Error {
  return new Error(`${cursor.source}: line ${cursor.line}: ${message}`);
}
