import { ActorCacheStatsSchema } from '../../schema/run.js';
import type { Store } from '../store.js';
import { listAudits } from './audits.js';
import * as browse from './browse.js';
import * as carg from './carg.js';
import { openPg, type PgDb, pgError } from './db.js';
import * as runs from './runs.js';
import { runStatus } from './status.js';
import * as traces from './traces.js';
import * as verdicts from './verdicts.js';
import * as workers from './workers.js';

/**
 * The PostgreSQL backend: the Store interface over one database, for many processes and machines on one run.
 * Each write that must be atomic is one transaction (db.tx); the rest are single statements on the pool.
 */
export async function pgStore(url: string, opts: { create?: boolean; readonly?: boolean }): Promise<Store> {
  const db: PgDb = await openPg(url, opts);
  const { q, location } = db;
  const run = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw pgError(e, location); // a driver's error (a constraint, a lost connection) is a store error
    }
  };
  let closed = false;
  return {
    location,
    runs: {
      upsert: (key, dataset, config) => run(() => runs.upsertRun(q, key, dataset, config)),
      rename: (runId, key) => run(() => runs.renameRun(q, runId, key)),
      list: () => run(() => runs.listRuns(q)),
      claim: (runId, pid) => run(() => runs.claimRun(db, runId, pid)),
      release: (runId, pid) => run(() => runs.releaseRun(q, runId, pid)),
      failedAttempts: (runId) => run(() => runs.failedAttempts(q, runId)),
      status: (runId) => run(() => runStatus(q, runId)),
      tools: (filter) => run(() => traces.runTools(q, filter)),
    },
    items: {
      add: (runId, items) => run(() => runs.addItems(db, runId, items)),
      list: (runId) => run(() => runs.readItems(q, runId)),
      pending: (runId, ids) => run(() => runs.pendingItems(q, runId, ids)),
    },
    traces: {
      begin: (runId, itemId) => run(() => traces.beginTrace(q, runId, itemId)),
      finish: (id, pieces, end) => run(() => traces.finishTrace(db, id, pieces, end)),
      fail: (id, pieces, error) => run(() => traces.failTrace(db, id, pieces, error)),
      dropUnfinished: (runId) => run(() => runs.dropUnfinished(q, runId)),
      get: (id) => run(() => traces.readTrace(q, id)),
      list: (runId, status) => run(() => traces.readTraces(q, runId, status)),
      finishedItemIds: (key, ids) => run(() => runs.finishedItemIds(q, key, ids)),
      page: (query) => run(() => browse.tracePage(q, query)),
      shapes: (runId) => run(() => browse.traceShapes(q, runId)),
      minutes: (runId) => run(() => browse.traceMinutes(q, runId)),
    },
    verdicts: {
      unvalidated: (runId, hash) => run(() => verdicts.unvalidatedTraceIds(q, runId, hash)),
      write: (hash, list) => run(() => verdicts.writeVerdicts(db, hash, list)),
      list: (runId, hash) => run(() => verdicts.readVerdicts(q, runId, hash)),
      configs: (runId) => run(() => browse.verdictConfigs(q, runId)),
      latestConfig: (runId) => run(() => browse.latestVerdictConfig(q, runId)),
    },
    modelCalls: {
      list: (traceId) => run(() => traces.traceCalls(q, traceId)),
      provenance: (runId) => run(() => traces.runProvenance(q, runId)),
      minutes: (runId) => run(() => browse.callMinutes(q, runId)),
    },
    actorCache: {
      get: (key) => run(() => verdicts.cacheGet(q, key)),
      put: (entry) => run(() => verdicts.cachePut(q, entry)),
      stats: () => run(async () => ActorCacheStatsSchema.parse(await verdicts.cacheStats(q))),
    },
    carg: {
      insertTools: (tools) => run(() => carg.insertCargTools(db, tools)),
      updateTool: (id, patch) => run(() => carg.updateCargTool(db, id, patch)),
      listTools: (statuses) => run(() => carg.listCargTools(q, statuses)),
      finishedTools: (job) => run(() => carg.finishedJobTools(q, job)),
      saveJob: (job, toolId, stats, samples) => run(() => carg.saveJob(db, job, toolId, stats, samples)),
      saveFailure: (job, toolId, failure) => run(() => carg.saveJobFailure(q, job, toolId, failure)),
      listFailures: (job) => run(() => carg.listJobFailures(q, job)),
      countSamples: (filter) => run(() => carg.countSamples(q, filter)),
      listSamples: (filter) => run(() => carg.listSamples(q, filter)),
      saveEvalCases: (job, model, toolId, cases, stats) => run(() => carg.saveEvalCases(db, job, model, toolId, cases, stats)),
      listEvalCases: (job) => run(() => carg.listEvalCases(q, job)),
      listEvalJobs: () => run(() => carg.listEvalJobs(q)),
      jobStats: (job) => run(() => carg.jobStats(q, job)),
      addFields: (rows, calls) => run(() => carg.addFields(db, rows, calls)),
      listFields: () => run(() => carg.listFields(q)),
      saveFieldTools: (field, subfield, tools) => run(() => carg.saveFieldTools(db, field, subfield, tools)),
      countFieldRounds: () => run(() => carg.countFieldRounds(q)),
    },
    workers: {
      register: (runId, host, pid) => run(() => workers.registerWorker(q, runId, host, pid)),
      lease: (id, n, ttlMs, rules) => run(() => workers.leaseItems(db, id, n, ttlMs, rules)),
      heartbeat: (id, ttlMs) => run(() => workers.heartbeat(db, id, ttlMs)),
      finish: (id, traceId, pieces, end) => run(() => workers.finishLeased(db, id, traceId, pieces, end)),
      fail: (id, traceId, pieces, error) => run(() => workers.failLeased(db, id, traceId, pieces, error)),
      stop: (id) => run(() => workers.stopWorker(db, id)),
      list: (runId) => run(() => workers.listWorkers(q, runId)),
    },
    audits: {
      list: (runId) => run(() => listAudits(q, runId)),
    },
    close: () =>
      run(async () => {
        if (closed) return;
        closed = true;
        await db.close();
      }),
  };
}
