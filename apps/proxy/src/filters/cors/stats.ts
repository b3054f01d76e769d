// CORS filter stats, under http.<stat_prefix>.cors. (Envoy's names).
import { counter } from '../../stats/store.js';

export const CORS_STATS = {
  origin_valid: counter('Requests whose Origin a CORS policy allows'),
  origin_invalid: counter('Requests whose Origin no CORS policy allows'),
} as const;
