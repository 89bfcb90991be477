export { loadItems, type LoadOptions } from './load.js';
export { resolveDataset, downloadFile, type ResolveOptions, type ResolvedDataset, type DownloadProgress } from './download.js';
export { KNOWN_DATASETS, REGISTRY, REGISTRY_PATH, findDataset, inferDatasetName, loadRegistry, parseRegistry, type Registry, type RegistryEntry } from './registry.js';
export { LAYOUTS, LAYOUT_NAMES, detectLayout } from './layouts.js';
export { canonicalDataSource, DATA_SOURCE_NAMES, EXTRA_DATA_SOURCES } from './data-source.js';
