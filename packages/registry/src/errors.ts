// One base class and one subclass-free table of stable codes, after undici's and fastify's errors:
// callers branch on `code`, never on message text. docs/errors.md lists every code (a test checks).

import { StraitError } from '@strait/errors';

export const RegistryErrorCodes = {
  /** A `--registry` URL could not be parsed or has bad parameters. */
  REG_ERR_INVALID_URL: 'invalid registry URL',
  /** The URL's scheme names no backend registered through setup(). */
  REG_ERR_UNKNOWN_SCHEME: 'no registry backend for this URL scheme',
  /** An instance spec failed validation (missing service, bad port, weight out of range...). */
  REG_ERR_INVALID_INSTANCE: 'invalid instance',
  /** The registry (or this watch) was closed; the call cannot proceed. */
  REG_ERR_CLOSED: 'registry closed',
  /** The backend server cannot be reached or refused the call. */
  REG_ERR_UNAVAILABLE: 'registry backend unavailable',
  /** A call did not complete in time. */
  REG_ERR_TIMEOUT: 'registry call timed out',
  /** The lease/session that kept a registration alive is gone; the instance was removed. */
  REG_ERR_LEASE_LOST: 'registration lease lost',
  /** The embedded server could not persist (WAL append, fsync, snapshot) or read back its data. */
  REG_ERR_STORAGE: 'registry storage failure',
  /** The backend answered with something this client cannot interpret. */
  REG_ERR_PROTOCOL: 'unexpected registry backend response',
} as const;

export type RegistryErrorCode = keyof typeof RegistryErrorCodes;

/** The base error of @strait/registry (a StraitError: stable `code`, human `message`, `cause`). */
export class RegistryError extends StraitError {
  declare readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail ? `${RegistryErrorCodes[code]}: ${detail}` : RegistryErrorCodes[code], {}, options);
  }
}

export function isRegistryError(err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code);
}
