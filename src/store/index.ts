export { openDb, type Db } from './db.js';
export { upsertRun, renameRun, failedAttempts, claimRun, releaseRun, addItems, pendingItems, dropUnfinished, finishedItemIds } from './runs.js';
export { TraceWriter } from './traces.js';
export { runStatus } from './status.js';
export { readTrace, readTraces, traceReader, type StoredTrace } from './read.js';
