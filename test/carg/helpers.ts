import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfigInput } from '../../src/llm/config.js';
import { type RoleModels, type RoleModelSpec, roleModels } from '../../src/pipeline/models.js';
import type { Role } from '../../src/schema/model-call.js';
import { type CargRepository, openStore } from '../../src/store/index.js';

/** A fresh temp dir per test file; tool fixtures are written there, never into the repo. */
export function tempDir(prefix: string): { dir: string; write: (name: string, value: unknown) => string } {
  const dir = mkdtempSync(join(tmpdir(), `mtr-carg-${prefix}-`));
  return {
    dir,
    write: (name, value) => {
      const file = join(dir, name);
      writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
      return file;
    },
  };
}

/**
 * A local OpenAI-compatible `/v1/embeddings` server: each input embeds as its letter counts (a-z), so
 * anagram-like names are near and unrelated ones far; requests are recorded.
 */
export async function startFakeEmbeddings(): Promise<{ url: string; inputs: string[][]; close: () => Promise<void> }> {
  const inputs: string[][] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { input } = JSON.parse(body) as { input: string[] };
      inputs.push(input);
      const data = input.map((text, index) => {
        const v = new Array(26).fill(0);
        for (const ch of text.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[ch.charCodeAt(0) - 97]++;
        return { object: 'embedding', index, embedding: v };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: data.reverse(), model: 'fake-embed' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, inputs, close: () => new Promise((r) => server.close(() => r())) };
}

/** CARG roles for tests calling work functions directly, from the one role-model factory (close them in afterAll). */
export function cargTestRoles<R extends Role>(roles: readonly R[], config: ModelConfigInput, maxAttempts = 3): Promise<RoleModels<R>> {
  return roleModels(Object.fromEntries(roles.map((r) => [r, { config, concurrency: 8, maxAttempts }])) as Record<R, RoleModelSpec>);
}

/** A fresh in-memory store's CARG repository (the one store interface, SQLite backend). */
export const memoryCarg = async (): Promise<CargRepository> => (await openStore(':memory:')).carg;
