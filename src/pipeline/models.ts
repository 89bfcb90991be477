import PQueue from 'p-queue';
import { createChatModel, type ModelConfig, type ModelConfigInput, parseModelConfig } from '../llm/index.js';
import type { RoleModel } from '../llm/role.js';
import type { ChatModel } from '../llm/types.js';
import type { Role } from '../schema/model-call.js';

/** How one role of a job is served: its model settings, its own queue's width, its structured-output attempts. */
export interface RoleModelSpec {
  /** the role's model settings (after its --ROLE-model / --ROLE-base-url), e.g. from `modelConfigOf(values, role)` */
  config: ModelConfigInput;
  /** model calls of this role in flight at once (each role has its own queue) */
  concurrency: number;
  /** attempts per structured output before it is recorded as a failure */
  maxAttempts: number;
  /** a model to use as it is instead of starting one (e.g. a stand-in that refuses every call); not closed here */
  model?: ChatModel;
}

/** The role models of a job and their one lifetime: `close()` closes every model this factory started, once. */
export interface RoleModels<R extends Role> {
  roles: Record<R, RoleModel>;
  close(): Promise<void>;
}

/**
 * The one role-model factory of every job (generate's maker/agent/actor, CARG's generator/judge/actor, serve
 * tools' actor): one model instance per distinct backend config, shared by the roles that use it (one embedded
 * load, one server probe), each role on its own queue with its own sampling. If any backend fails to start,
 * the ones that did start are closed before the error propagates.
 */
export async function roleModels<R extends Role>(specs: Record<R, RoleModelSpec>): Promise<RoleModels<R>> {
  const started = new Map<string, Promise<ChatModel>>();
  const entries = (Object.entries(specs) as [R, RoleModelSpec][]).map(([role, spec]) => {
    const config = parseModelConfig(spec.config, `${role} model`);
    if (spec.model) return { role, spec, config, model: Promise.resolve(spec.model) };
    // temperature and max tokens go with each call (RoleModel); every other setting shapes the instance
    const { temperature: _t, maxTokens: _m, ...backend } = config;
    const key = JSON.stringify(backend);
    if (!started.has(key)) started.set(key, createChatModel(config));
    return { role, spec, config, model: started.get(key)! };
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const settled = await Promise.allSettled(started.values());
      await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    })());
  const results = await Promise.allSettled(entries.map((e) => e.model));
  const failed = results.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const roles = {} as Record<R, RoleModel>;
  for (const [i, { role, spec, config }] of entries.entries())
    roles[role] = roleModel(role, (results[i] as PromiseFulfilledResult<ChatModel>).value, config, spec);
  return { roles, close };
}

const roleModel = (role: Role, model: ChatModel, config: ModelConfig, spec: RoleModelSpec): RoleModel => ({
  role,
  model,
  queue: new PQueue({ concurrency: spec.concurrency }),
  temperature: config.temperature,
  maxTokens: config.maxTokens,
  maxAttempts: spec.maxAttempts,
});
