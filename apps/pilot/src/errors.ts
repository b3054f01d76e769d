// One base class and one table of stable codes (after undici's and fastify's errors): callers branch
// on `code`, never on message text. docs/errors.md lists every code; test/errors.test.ts checks it.

import { StraitError } from '@strait/errors';

export const PilotErrorCodes = {
  /** A command-line flag or STRAIT_PILOT_* variable is unknown, missing or malformed. */
  PILOT_ERR_INVALID_FLAG: 'invalid flag',
  /** A HOST:PORT address could not be parsed. */
  PILOT_ERR_INVALID_ADDRESS: 'invalid address',
  /** A duration such as "100ms" or "10s" could not be parsed. */
  PILOT_ERR_INVALID_DURATION: 'invalid duration',
  /** The xDS or HTTP listener could not bind. */
  PILOT_ERR_LISTEN: 'cannot listen',
  /** A request on an ADS stream violated the xDS protocol (no type URL, unknown type, first request without node). */
  PILOT_ERR_PROTOCOL: 'xDS protocol violation',
  /** A connection could not keep up: its bounded send queue overflowed and it was disconnected. */
  PILOT_ERR_SLOW_CLIENT: 'client too slow, disconnected',
  /** The resource type is not served in this architecture (EDS in scale-out). */
  PILOT_ERR_TYPE_NOT_SERVED: 'resource type not served in this architecture',
  /** The config directory could not be read or watched. */
  PILOT_ERR_CONFIG_SOURCE: 'config source failed',
  /** A registry could not be opened or its watch failed. */
  PILOT_ERR_REGISTRY: 'registry failed',
  /** An xDS stream on the TLS listener had no verified client certificate and no accepted bearer token. */
  PILOT_ERR_UNAUTHENTICATED: 'xDS stream not authenticated',
  /** A TLS certificate, key, client CA or token file could not be read or used. */
  PILOT_ERR_TLS: 'TLS setup failed',
  /** The pilot is shutting down; the call cannot proceed. */
  PILOT_ERR_CLOSED: 'pilot closed',
} as const;

export type PilotErrorCode = keyof typeof PilotErrorCodes;

/** The base error of strait-pilot (a StraitError: stable `code`, human `message`, `cause`). */
export class PilotError extends StraitError {
  declare readonly code: PilotErrorCode;

  constructor(code: PilotErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail ? `${PilotErrorCodes[code]}: ${detail}` : PilotErrorCodes[code], {}, options);
  }
}

export function isPilotError(err: unknown, code?: PilotErrorCode): err is PilotError {
  return err instanceof PilotError && (code === undefined || err.code === code);
}
