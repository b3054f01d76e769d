// How a server-side state classifies one incoming request. SotW and Delta share the vocabulary so the
// pilot's ADS loop, its metrics and /debug/syncz treat both variants alike.
import type { XdsStreamError } from './errors.js';
import type { SubscriptionChange } from './subscriptions.js';
import type { Status } from './types.js';

/**
 * - `initial`: the first request for this type on this stream (nonces never survive a reconnect, so a
 *   nonce on it is not checked).
 * - `nack`: answers our latest response (Delta: any unacknowledged one) and carries `error_detail`.
 * - `subscription-change`: changes the subscribed names or the wildcard. It may also acknowledge a
 *   response; `answers` says so.
 * - `ack`: answers a response without error and changes nothing else.
 * - `stale`: SotW only acts on requests answering its latest response; this one answered an older
 *   response (or none after one was sent) and is ignored, its state untouched. Delta still applies the
 *   subscription changes of such a request (the protocol requires it) and reports it as
 *   `subscription-change`; a stale Delta request that changes nothing is `stale`.
 * - `unchanged`: no nonce, no error, no change (for example a repeated request before any response).
 * - `invalid`: violates a limit or the type; nothing was changed. End the stream with `error`.
 */
export type RequestKind = 'initial' | 'ack' | 'nack' | 'subscription-change' | 'stale' | 'unchanged';

export interface RequestOutcome {
  readonly kind: RequestKind;
  readonly typeUrl: string;
  /** What the request changed in the subscription (empty lists when nothing). */
  readonly change: SubscriptionChange;
  /** The response this request acknowledged or rejected, when it answered one we still track. */
  readonly answers?: { readonly nonce: string; readonly accepted: boolean };
  /** SotW: the version the client now runs (ACK) or keeps (NACK); Delta: empty. */
  readonly versionInfo: string;
  /** The client's reasons, on a NACK. */
  readonly errorDetail?: Status;
  /** Whether the server owes this client a response now: call `respond(snapshot)`. */
  readonly mustRespond: boolean;
}

export interface InvalidRequest {
  readonly kind: 'invalid';
  readonly typeUrl: string;
  readonly error: XdsStreamError;
}

export type RequestResult = RequestOutcome | InvalidRequest;

/** One type's row in /debug/syncz: what was sent, what the client acknowledged, what it rejected. */
export interface TypeSyncStatus {
  readonly typeUrl: string;
  readonly variant: 'sotw' | 'delta';
  readonly wildcard: boolean;
  readonly subscribedNames: number;
  readonly lastSentVersion?: string;
  readonly lastSentNonce?: string;
  readonly lastAckedVersion?: string;
  readonly lastAckedNonce?: string;
  /** The latest rejection: the nonce and version of the rejected response, and the client's reasons. */
  readonly lastNack?: { readonly nonce: string; readonly rejectedVersion: string; readonly message: string };
  /** The client acknowledged the latest response we sent. */
  readonly synced: boolean;
  /** A response is owed (initial request or subscription change not answered yet). */
  readonly pending: boolean;
}

export function statusMessage(status: Status | null | undefined): string {
  return status?.message ?? '';
}

export function hasErrorDetail(status: Status | null | undefined): status is Status {
  // Presence of the field is what marks a NACK; an all-default Status still counts.
  return status !== undefined && status !== null;
}
