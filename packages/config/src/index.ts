// @strait/config: Istio networking kinds and Strait kinds, YAML loading, validation, the config store.
export * from './errors.js';
export * from './kinds/index.js';
export * from './kubernetes/index.js';
export * from './loader/index.js';
export * from './store.js';
export {
  type ConfigRef,
  isConfigKind,
  kindSchema,
  refOf,
  type ValidateOptions,
  type ValidationResult,
  validate,
} from './validation/index.js';
export { type Schema, unsupportedPaths } from './validation/schema.js';
export { durationToProto, parseDuration, regexProblem } from './validation/values.js';
