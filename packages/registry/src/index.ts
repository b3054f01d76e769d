export { isRegistryError, RegistryError, type RegistryErrorCode, RegistryErrorCodes } from './errors.js';
export { instanceEqual, normalizeInstance } from './instance.js';
export * from './types.js';
