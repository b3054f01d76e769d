// What the SotW and Delta client states share: the update handed to the proxy's apply callback, the
// NACK's error_detail, and the does-not-exist timers.
import type { XdsStreamError } from './errors.js';
import { type Any, NACK_STATUS_CODE, type Status, type StreamLimits } from './types.js';

/** A resource as received, after the stream layer checked its name and type. */
export interface ReceivedResource {
  readonly name: string;
  /** Delta: the server's per-resource version. SotW: a digest of the resource bytes. */
  readonly version: string;
  readonly resource: Any;
}

/** One response's effect, handed to the apply callback. */
export interface ResourceUpdate {
  readonly typeUrl: string;
  /** SotW version_info, or Delta system_version_info (informational). */
  readonly version: string;
  /** New or changed resources to validate and apply. */
  readonly updated: readonly ReceivedResource[];
  /** Names the client held and must now delete. */
  readonly removed: readonly string[];
  /** Names subscribed but never received that the server says do not exist (Delta). */
  readonly absent: readonly string[];
}

/** A per-resource rejection: it ends up in the NACK, and the resource's last good version stays. */
export interface ResourceError {
  readonly name: string;
  readonly message: string;
}

/**
 * Validates and applies an update, returning the resources it rejected. Rejected resources must be
 * left as they were (last good version in use); the others are taken as applied.
 */
export type ApplyUpdate = (update: ResourceUpdate) => readonly ResourceError[];

/** The error name used when `apply` throws instead of returning per-resource errors. */
export const APPLY_FAILED = '(apply)';

/**
 * Calls `apply`. A throw becomes one `APPLY_FAILED` error, which the client states read as "nothing
 * in this update was applied": every updated resource keeps its last good version, removals stay
 * pending, and the response is NACKed, instead of the stream state being left half updated.
 */
export function applySafely(apply: ApplyUpdate, update: ResourceUpdate): readonly ResourceError[] {
  try {
    return apply(update);
  } catch (error) {
    const message = `apply failed: ${error instanceof Error ? error.message : String(error)}`;
    return [{ name: APPLY_FAILED, message }];
  }
}

/** How a client asks for the wildcard: never, the legacy empty list, or the explicit "*". */
/**
 * Brings a client's held versions up to what the apply callback accepted: rejected resources keep
 * their last good version, and when apply failed outright nothing counts as applied and removals
 * stay held so they are retried. One rule for SotW and Delta.
 */
export function recordApplied(
  held: Map<string, string>,
  errors: readonly ResourceError[],
  updated: readonly ReceivedResource[],
  removed: readonly string[],
): void {
  const rejected = new Set(errors.map((e) => e.name));
  if (rejected.has(APPLY_FAILED)) for (const resource of updated) rejected.add(resource.name);
  for (const resource of updated) {
    if (!rejected.has(resource.name)) held.set(resource.name, resource.version);
  }
  if (!rejected.has(APPLY_FAILED)) for (const name of removed) held.delete(name);
}

export type WildcardMode = 'off' | 'legacy' | 'explicit';

export interface ClientOptions {
  readonly typeUrl: string;
  /** Defaults to 'legacy' for LDS and CDS (what Envoy sends) and 'off' for the other types. */
  readonly wildcard?: WildcardMode;
  readonly limits?: Partial<StreamLimits>;
  /** Milliseconds clock for the does-not-exist timers; defaults to Date.now. */
  readonly clock?: () => number;
  /** How long a subscribed name may go unanswered before it is deemed not to exist (default 15 s). */
  readonly doesNotExistTimeoutMs?: number;
}

export const DEFAULT_DOES_NOT_EXIST_TIMEOUT_MS = 15_000;

export type SubscribeResult<R> =
  | {
      readonly ok: true;
      /** The request to send now; undefined when nothing changed or no stream is up. */
      readonly request: R | undefined;
      /** Resources no longer tracked after an unsubscribe: the caller deletes them. */
      readonly dropped: readonly string[];
    }
  | { readonly ok: false; readonly error: XdsStreamError };

export type ResponseResult<R> =
  | {
      readonly kind: 'ack' | 'nack';
      /** The ACK or NACK to send. */
      readonly request: R;
      readonly errors: readonly ResourceError[];
      /** What the apply callback was given (undefined when nothing changed). */
      readonly update: ResourceUpdate | undefined;
    }
  | { readonly kind: 'invalid'; readonly error: XdsStreamError };

/** Builds a NACK's error_detail naming each rejected resource and its reason, within a length cap. */
export function errorDetailFor(errors: readonly ResourceError[], limits: StreamLimits): Status {
  const parts: string[] = [];
  let length = 0;
  let shown = 0;
  for (const error of errors) {
    const part = `${error.name}: ${error.message}`;
    if (length + part.length > limits.maxErrorDetailLength && shown > 0) break;
    parts.push(part);
    length += part.length + 2;
    shown += 1;
  }
  const rest = errors.length - shown;
  const head = `${errors.length} resource${errors.length === 1 ? '' : 's'} rejected: `;
  const message = head + parts.join('; ') + (rest > 0 ? `; and ${rest} more` : '');
  return { code: NACK_STATUS_CODE, message };
}

/**
 * Deadlines after which a subscribed, never-received resource is deemed not to exist. The protocol
 * gives SotW no other way to learn it, and Delta clients are advised to keep one as a safety net.
 * No timer runs here: the caller asks `nextDeadline()` and calls `expire()` when it passes.
 */
export class DoesNotExistTimers {
  private readonly deadlines = new Map<string, number>();

  constructor(
    private readonly clock: () => number,
    private readonly timeoutMs: number,
  ) {}

  start(name: string): void {
    if (!this.deadlines.has(name)) this.deadlines.set(name, this.clock() + this.timeoutMs);
  }

  cancel(name: string): void {
    this.deadlines.delete(name);
  }

  clear(): void {
    this.deadlines.clear();
  }

  has(name: string): boolean {
    return this.deadlines.has(name);
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const deadline of this.deadlines.values())
      if (next === undefined || deadline < next) next = deadline;
    return next;
  }

  /** Names whose deadline has passed; they are forgotten, so each is reported once. */
  expire(): string[] {
    const now = this.clock();
    const expired: string[] = [];
    for (const [name, deadline] of this.deadlines) {
      if (deadline <= now) expired.push(name);
    }
    for (const name of expired) this.deadlines.delete(name);
    return expired.sort();
  }
}
