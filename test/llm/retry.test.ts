import { OpenAIClient } from '@langchain/openai';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MtrError } from '../../src/schema/errors.js';
import { backoffMs, classifyError, MalformedReplyError, retryAfterMs, withRetry, type RetryInfo } from '../../src/llm/retry.js';

const apiError = (status: number, body: object = { message: `status ${status}` }, headers: Record<string, string> = {}) =>
  OpenAIClient.APIError.generate(status, { error: body }, undefined, new Headers(headers));

/** The error fetch really throws for a port nobody listens on. */
async function refusedError(): Promise<unknown> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
}

describe('classifyError', () => {
  it.each([408, 409, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    expect(classifyError(apiError(status))).toBe('retry');
  });

  it.each([400, 422])('never retries HTTP %i', (status) => {
    expect(classifyError(apiError(status))).toBe('fatal');
  });

  it.each([401, 403, 404])('reports HTTP %i as unreachable', (status) => {
    expect(classifyError(apiError(status))).toBe('fatal_unreachable');
  });

  it('does not retry a 429 that says the quota is gone', () => {
    expect(classifyError(apiError(429, { message: 'out', code: 'insufficient_quota' }))).toBe('fatal');
  });

  it('retries client timeouts and dropped connections', () => {
    expect(classifyError(new OpenAIClient.APIConnectionTimeoutError())).toBe('retry');
    expect(classifyError(new DOMException('timed out', 'TimeoutError'))).toBe('retry');
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyError(new OpenAIClient.APIConnectionError({ cause: new TypeError('fetch failed', { cause: reset }) }))).toBe('retry');
  });

  it('reports a real connection refusal as unreachable, also wrapped by the SDK', async () => {
    const refused = await refusedError();
    expect(classifyError(refused)).toBe('fatal_unreachable');
    expect(classifyError(new OpenAIClient.APIConnectionError({ cause: refused as Error }))).toBe('fatal_unreachable');
  });

  it('never retries a cancellation, our own errors or unknown failures', () => {
    expect(classifyError(new OpenAIClient.APIUserAbortError())).toBe('fatal');
    expect(classifyError(new DOMException('aborted', 'AbortError'))).toBe('fatal');
    expect(classifyError(new MtrError('E_MODEL_UNREACHABLE', 'x'))).toBe('fatal_unreachable');
    expect(classifyError(new MtrError('E_MODEL', 'x'))).toBe('fatal');
    expect(classifyError('a string')).toBe('fatal');
  });

  it('retries a cut-off or garbled 200 body, also wrapped by the SDK', () => {
    expect(classifyError(new SyntaxError('Unexpected end of JSON input'))).toBe('retry');
    const malformed = new MalformedReplyError('malformed', '{"choices": [');
    expect(classifyError(malformed)).toBe('retry');
    expect(classifyError(new OpenAIClient.APIConnectionError({ cause: malformed }))).toBe('retry');
  });

  it('retries a refused connection only when asked (a server that answered at start-up), never a bad key', async () => {
    const refused = await refusedError();
    let calls = 0;
    const fail = (e: unknown) => async () => {
      calls++;
      throw e;
    };
    await expect(withRetry(fail(refused), { maxRetries: 2, baseMs: 0 })).rejects.toBe(refused);
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(fail(refused), { maxRetries: 2, baseMs: 0, retryConnectFailures: true })).rejects.toBe(refused);
    expect(calls).toBe(3);
    calls = 0;
    const badKey = apiError(401);
    await expect(withRetry(fail(badKey), { maxRetries: 2, baseMs: 0, retryConnectFailures: true })).rejects.toBe(badKey);
    expect(calls).toBe(1);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs(apiError(429, {}, { 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(apiError(429, {}, { 'retry-after-ms': '150' }))).toBe(150);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(retryAfterMs(apiError(503, {}, { 'retry-after': 'Mon, 01 Jan 2024 00:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(apiError(429))).toBeUndefined();
    expect(retryAfterMs(apiError(429, {}, { 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('stays within [0, min(max, base·2^attempt)] (full jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (attempt, base, max, r) => {
          const d = backoffMs(attempt, base, max, () => r);
          return d >= 0 && d <= Math.min(max, base * 2 ** attempt);
        },
      ),
    );
    expect(backoffMs(3, 100, 10_000, () => 0.5)).toBe(400);
  });
});

describe('withRetry', () => {
  it('retries transient failures and returns the first success', async () => {
    const seen: RetryInfo[] = [];
    const failures = [apiError(500), new OpenAIClient.APIConnectionTimeoutError()];
    const result = await withRetry(
      async (attempt) => {
        const f = failures[attempt];
        if (f) throw f;
        return `ok@${attempt}`;
      },
      { maxRetries: 4, baseMs: 1, onRetry: (i) => seen.push(i) },
    );
    expect(result).toBe('ok@2');
    expect(seen.map((s) => s.retry)).toEqual([1, 2]);
  });

  it('waits what Retry-After asks, capped by maxMs', async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw apiError(429, {}, { 'retry-after-ms': '20' });
        if (calls === 2) throw apiError(429, {}, { 'retry-after': '3600' });
        return 'ok';
      },
      { maxRetries: 3, baseMs: 1, maxMs: 30, onRetry: (i) => delays.push(i.delayMs) },
    );
    expect(delays).toEqual([20, 30]);
  });

  it('throws a fatal error at once and the last error when retries run out', async () => {
    let calls = 0;
    const bad = apiError(400);
    await expect(
      withRetry(
        async () => {
          calls++;
          throw bad;
        },
        { maxRetries: 5, baseMs: 1 },
      ),
    ).rejects.toBe(bad);
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw apiError(503, { message: `try ${calls}` });
        },
        { maxRetries: 2, baseMs: 1 },
      ),
    ).rejects.toMatchObject({ status: 503, message: expect.stringContaining('try 3') });
    expect(calls).toBe(3);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const run = withRetry(
      async () => {
        throw apiError(503);
      },
      { maxRetries: 3, baseMs: 60_000, random: () => 0.99, signal: controller.signal, onRetry: () => controller.abort(new Error('stop')) },
    );
    await expect(run).rejects.toThrow('stop');
  });
});
