export { resolveFile, resolveDatasetFiles, isHubId, type HubOptions, type DatasetFilesOptions } from './resolve.js';
export { hubCacheDir, offlineFromEnv, repoCacheDir, type RepoType } from './cache.js';
export { HubError, HubNetworkError, HubNotFoundError, HubOfflineError } from './errors.js';
