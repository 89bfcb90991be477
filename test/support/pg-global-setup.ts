import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';

/** One PostgreSQL server for the whole run (each test file makes its own database on it); stopped when the run ends. */
export default async function setup(project: TestProject): Promise<() => void> {
  const server = await startPostgres();
  project.provide('pgUrl', server.url);
  return () => server.stop();
}
