export { loadDataset, loadItems, type LoadedDataset, type LoadOptions } from './load.js';
export { DatasetLimitsSchema, DEFAULT_MAX_QUESTION_CHARS, DEFAULT_MAX_RECORD_BYTES, type DatasetLimits, type SkippedRecord } from './limits.js';
export { resolveDataset, downloadFile, type ResolveOptions, type ResolvedDataset, type DownloadProgress } from './download.js';
export {
  KNOWN_DATASETS,
  REGISTRY,
  REGISTRY_PATH,
  findDataset,
  inferDatasetName,
  loadRegistry,
  parseRegistry,
  type Registry,
  type RegistryEntry,
} from './registry.js';
export { LAYOUTS, LAYOUT_NAMES, detectLayout } from './layouts.js';
export { canonicalDataSource, DATA_SOURCE_NAMES, EXTRA_DATA_SOURCES } from './data-source.js';
