export {
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_FILES,
  listConfigFiles,
  type ReadOptions,
  type ReadResult,
  readConfigDirectory,
  readConfigFiles,
} from './directory.js';
export { type ConfigSnapshot, type ConfigWatcher, type WatchOptions, watchConfigDirectory } from './watch.js';
export { type ParseResult, parseYaml, type RawDocument, type Rejection } from './yaml.js';
