// Fault filter stats, under http.<stat_prefix>.fault.
import { counter, gauge } from '../../stats/store.js';

export const FAULT_STATS = {
  delays_injected: counter('Requests delayed by the fault filter'),
  aborts_injected: counter('Requests aborted by the fault filter'),
  active_faults: gauge('Faults in progress'),
  faults_overflow: counter('Faults skipped because max_active_faults was reached'),
} as const;
