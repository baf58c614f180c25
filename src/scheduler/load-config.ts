/**
 * The scheduler configuration a server starts with: the text of the
 * --scheduler-config file parsed, checked against the plugins that exist, and any
 * mistake reported with the file's name, so a bad file stops the server at once.
 */
import { parseSchedulerConfiguration, type SchedulerConfiguration } from "./config.ts";
import { validateProfiles } from "./registry.ts";

export function loadSchedulerConfiguration(text: string, source: string): SchedulerConfiguration {
  try {
    const config = parseSchedulerConfiguration(text);
    validateProfiles(config.profiles);
    return config;
  } catch (error) {
    throw new Error(`--scheduler-config ${source}: ${(error as Error).message}`);
  }
}
