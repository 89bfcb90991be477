import { DEFAULT_REWARD_PORT } from '../pipeline/serve-fields.js';
import type { RewardService } from '../pipeline/serve-reward.js';
import { listen, type RunningServer } from './listen.js';
import { createRewardApp, type RewardAppOptions } from './reward-app.js';

export interface RewardServerOptions extends RewardAppOptions {
  /** default 127.0.0.1 (loopback); bind elsewhere only on purpose, with a token */
  host?: string;
  /** default 8787; 0 picks a free port */
  port?: number;
}

export type { RunningServer } from './listen.js';
export { DEFAULT_REWARD_PORT } from '../pipeline/serve-fields.js';

/** Start the reward server over a reward service on a real socket; resolves once it is listening. */
export function startRewardServer(service: RewardService, options: RewardServerOptions = {}): Promise<RunningServer> {
  return listen(createRewardApp(service, options).fetch, { host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_REWARD_PORT, label: 'serve' });
}
