import { baseUrlList, type ModelConfig } from './config.js';
import { OpenAIChatModel, probeServer } from './openai.js';
import type { ChatModel } from './types.js';

export * from './types.js';
export * from './config.js';
export { OpenAIChatModel, probeServer, toOpenAIMessages, describeCause, unreachableError } from './openai.js';
export { withRetry, classifyError, retryAfterMs, backoffMs, httpStatus, type ErrorClass, type RetryOptions, type RetryInfo } from './retry.js';
export { generateJson, extractJson, checkJsonAnswer, repairMessage, type Attempt, type GenerateJsonOptions, type JsonResult } from './structured.js';

/**
 * The model for a config: an OpenAI-compatible server (or pool of them) when baseUrl is set, probed first so a
 * wrong URL fails now with a clear message (in a pool, only when no server answers: the others start out of
 * the pool and are probed again later); the model name defaults to the first the (first answering) server
 * lists. Else the embedded llama.cpp model, loaded lazily so the openai path never pays for node-llama-cpp.
 */
export async function createChatModel(config: ModelConfig): Promise<ChatModel> {
  const { baseUrl } = config;
  if (baseUrl) {
    const urls = baseUrlList(baseUrl);
    const probes = await Promise.allSettled(urls.map((url) => probeServer(url, config.apiKey, Math.min(config.timeoutMs, 10_000))));
    const answered = probes.find((p) => p.status === 'fulfilled');
    if (!answered) throw (probes[0] as PromiseRejectedResult).reason;
    const model = new OpenAIChatModel({ ...config, baseUrl, model: config.model ?? answered.value.models[0] });
    for (const [i, p] of probes.entries()) if (p.status === 'rejected') model.markOut(urls[i]!);
    return model;
  }
  const { createEmbeddedModel } = await import('./embedded.js');
  return createEmbeddedModel(config);
}
