import { asMtrError } from '../schema/errors.js';
import { ActorCacheStatsSchema } from '../schema/run.js';
import { ActorCache } from './actor-cache.js';
import { listAudits } from './audits.js';
import * as carg from './carg.js';
import { callMinutes, latestVerdictConfig, traceMinutes, tracePage, traceShapes, verdictConfigs } from './browse.js';
import type { Db } from './db.js';
import { readTrace, readTraces, runTools } from './read.js';
import { addItems, claimRun, dropUnfinished, failedAttempts, finishedItemIds, pendingItems, releaseRun, renameRun, upsertRun } from './runs.js';
import { runStatus } from './status.js';
import type { Store } from './store.js';
import { beginTrace, failTrace, finishTrace, traceCalls } from './traces.js';
import * as workers from './workers.js';
import { listRuns, readItems, readVerdicts, runProvenance, unvalidatedTraceIds, writeVerdicts } from './verdicts.js';

/**
 * The embedded backend: the Store interface over one SQLite file (better-sqlite3, WAL). Its calls are
 * synchronous underneath, so each method's work — one transaction where it writes — is done before its
 * Promise resolves, and two calls never interleave.
 */
export function sqliteStore(db: Db, location: string): Store {
  const cache = new ActorCache(db);
  const run = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(asMtrError(e, 'E_STORE', location)); // a driver's error (a constraint, a locked file) is a store error
    }
  };
  let closed = false;
  return {
    location,
    runs: {
      upsert: (key, dataset, config) => run(() => upsertRun(db, key, dataset, config)),
      rename: (runId, key) => run(() => renameRun(db, runId, key)),
      list: () => run(() => listRuns(db)),
      claim: (runId, pid) => run(() => claimRun(db, runId, pid)),
      release: (runId, pid) => run(() => releaseRun(db, runId, pid)),
      failedAttempts: (runId) => run(() => failedAttempts(db, runId)),
      status: (runId) => run(() => runStatus(db, runId)),
      tools: (filter) => run(() => runTools(db, filter)),
    },
    items: {
      add: (runId, items) => run(() => addItems(db, runId, items)),
      list: (runId) => run(() => readItems(db, runId)),
      pending: (runId, ids) => run(() => pendingItems(db, runId, ids)),
    },
    traces: {
      begin: (runId, itemId) => run(() => beginTrace(db, runId, itemId)),
      finish: (id, pieces, end) => run(() => finishTrace(db, id, pieces, end)),
      fail: (id, pieces, error) => run(() => failTrace(db, id, pieces, error)),
      dropUnfinished: (runId) => run(() => dropUnfinished(db, runId)),
      get: (id) => run(() => readTrace(db, id)),
      list: (runId, status) => run(() => readTraces(db, runId, status)),
      finishedItemIds: (key, ids) => run(() => finishedItemIds(db, key, ids)),
      page: (query) => run(() => tracePage(db, query)),
      shapes: (runId) => run(() => traceShapes(db, runId)),
      minutes: (runId) => run(() => traceMinutes(db, runId)),
    },
    verdicts: {
      unvalidated: (runId, hash) => run(() => unvalidatedTraceIds(db, runId, hash)),
      write: (hash, verdicts) => run(() => writeVerdicts(db, hash, verdicts)),
      list: (runId, hash) => run(() => readVerdicts(db, runId, hash)),
      configs: (runId) => run(() => verdictConfigs(db, runId)),
      latestConfig: (runId) => run(() => latestVerdictConfig(db, runId)),
    },
    modelCalls: {
      list: (traceId) => run(() => traceCalls(db, traceId)),
      provenance: (runId) => run(() => runProvenance(db, runId)),
      minutes: (runId) => run(() => callMinutes(db, runId)),
    },
    actorCache: {
      get: (key) => run(() => cache.get(key)),
      put: (entry) => run(() => cache.put(entry)),
      stats: () => run(() => ActorCacheStatsSchema.parse(cache.stats())),
    },
    carg: {
      insertTools: (tools) => run(() => carg.insertCargTools(db, tools)),
      updateTool: (id, patch) => run(() => carg.updateCargTool(db, id, patch)),
      listTools: (statuses) => run(() => carg.listCargTools(db, statuses)),
      finishedTools: (job) => run(() => carg.finishedJobTools(db, job)),
      saveJob: (job, toolId, stats, samples) => run(() => carg.saveJob(db, job, toolId, stats, samples)),
      saveFailure: (job, toolId, failure) => run(() => carg.saveJobFailure(db, job, toolId, failure)),
      listFailures: (job) => run(() => carg.listJobFailures(db, job)),
      countSamples: (filter) => run(() => carg.countSamples(db, filter)),
      listSamples: (filter) => run(() => carg.listSamples(db, filter)),
      saveEvalCases: (job, model, toolId, cases, stats) => run(() => carg.saveEvalCases(db, job, model, toolId, cases, stats)),
      listEvalCases: (job) => run(() => carg.listEvalCases(db, job)),
      listEvalJobs: () => run(() => carg.listEvalJobs(db)),
      jobStats: (job) => run(() => carg.jobStats(db, job)),
      addFields: (rows, calls) => run(() => carg.addFields(db, rows, calls)),
      listFields: () => run(() => carg.listFields(db)),
      saveFieldTools: (field, subfield, tools) => run(() => carg.saveFieldTools(db, field, subfield, tools)),
      countFieldRounds: () => run(() => carg.countFieldRounds(db)),
    },
    workers: {
      register: (runId, host, pid) => run(() => workers.registerWorker(db, runId, host, pid)),
      lease: (id, n, ttlMs, rules) => run(() => workers.leaseItems(db, id, n, ttlMs, rules)),
      heartbeat: (id, ttlMs) => run(() => workers.heartbeat(db, id, ttlMs)),
      finish: (id, traceId, pieces, end) => run(() => workers.finishLeased(db, id, traceId, pieces, end)),
      fail: (id, traceId, pieces, error) => run(() => workers.failLeased(db, id, traceId, pieces, error)),
      stop: (id) => run(() => workers.stopWorker(db, id)),
      list: (runId) => run(() => workers.listWorkers(db, runId)),
    },
    audits: {
      list: (runId) => run(() => listAudits(db, runId)),
    },
    close: () =>
      run(() => {
        if (closed) return;
        closed = true;
        db.close();
      }),
  };
}
