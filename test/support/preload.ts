import { afterAll } from "bun:test";
import { stopTestPostgres } from "./postgres.ts";

// Registered in a preload, afterAll runs once after the whole run, not per file.
afterAll(async () => {
  await stopTestPostgres();
});
