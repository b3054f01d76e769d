export * from './errors.js';
export type { CommandResult, CommandRunner, RunOptions } from './exec.js';
export { runCommand } from './exec.js';
export { type ApplyOptions, apply, detach, isApplied, remove, saveNat } from './iptables/apply.js';
export {
  ALL_CHAINS,
  buildRemovalRules,
  buildResolvedRules,
  buildRules,
  CHAINS,
  ENTRY_JUMPS,
  formatRules,
  type InterceptionRules,
  type IptablesBinary,
  type IptablesCommand,
} from './iptables/rules.js';
export {
  DEFAULT_EXCLUDED_INBOUND_PORTS,
  DEFAULTS,
  type InterceptionConfig,
  parseCidr,
  type ResolvedInterceptionConfig,
  type ValidationResult,
  validateConfig,
} from './iptables/validate.js';
export {
  getOriginalDestination,
  getOriginalDestinationFromFd,
  isOriginalDstSupported,
  type OriginalDst,
  socketFd,
} from './original-dst.js';
