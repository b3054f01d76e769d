// Client side of State of the World xDS, for one type: the proxy's view of what it subscribed to,
// what it holds, which version it last applied, and the ACK/NACK it owes for each response.
import { createHash } from 'node:crypto';
import {
  type ApplyUpdate,
  applySafely,
  type ClientOptions,
  DEFAULT_DOES_NOT_EXIST_TIMEOUT_MS,
  DoesNotExistTimers,
  errorDetailFor,
  type ReceivedResource,
  type ResourceError,
  type ResourceUpdate,
  type ResponseResult,
  recordApplied,
  type SubscribeResult,
  type WildcardMode,
} from './client-common.js';
import { XdsStreamErrorCode } from './errors.js';
import { resourceNameOf } from './names.js';
import {
  type Any,
  checkTypeUrl,
  type DiscoveryRequest,
  type DiscoveryResponse,
  isFullStateType,
  newNames,
  resolveLimits,
  type Status,
  type StreamLimits,
  tooManyNames,
  WILDCARD,
} from './types.js';

export interface SotwClientOptions extends ClientOptions {
  /**
   * Reads a resource's name from its Any: SotW responses carry no names beside the resources.
   * Defaults to `resourceNameOf` (field 1, which holds the name in every xDS resource type);
   * undefined means the resource is unreadable and gets NACKed.
   */
  readonly resourceName?: (resource: Any) => string | undefined;
}

/** A request with every field the protocol needs set, ready for `DiscoveryRequest.encode`. */
export interface SotwRequest extends DiscoveryRequest {
  readonly versionInfo: string;
  readonly resourceNames: string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
}

export interface ClientSyncStatus {
  readonly typeUrl: string;
  readonly variant: 'sotw' | 'delta';
  readonly wildcard: boolean;
  readonly subscribedNames: number;
  readonly heldResources: number;
  /** SotW: the last version applied; Delta: the last system_version_info accepted. */
  readonly appliedVersion: string;
  readonly lastNonce: string;
  readonly lastNack?: { readonly nonce: string; readonly message: string };
}

function digest(resource: Any): string {
  return createHash('sha256')
    .update(resource.value ?? new Uint8Array())
    .digest('hex')
    .slice(0, 16);
}

export class SotwClientState {
  readonly typeUrl: string;
  private readonly limits: StreamLimits;
  private readonly resourceName: (resource: Any) => string | undefined;
  private readonly timers: DoesNotExistTimers;
  private readonly names = new Set<string>();
  private wildcardMode: WildcardMode;
  /** Per stream: once names were sent, an empty list no longer means wildcard, so send "*". */
  private explicitSent = false;
  private connected = false;
  private nonce = '';
  private appliedVersion = '';
  /** Name to content digest of every resource currently applied. */
  private readonly held = new Map<string, string>();
  private lastNack: { nonce: string; message: string } | undefined;

  constructor(options: SotwClientOptions) {
    this.typeUrl = options.typeUrl;
    this.limits = resolveLimits(options.limits);
    this.resourceName = options.resourceName ?? resourceNameOf;
    this.wildcardMode = options.wildcard ?? (isFullStateType(options.typeUrl) ? 'legacy' : 'off');
    this.timers = new DoesNotExistTimers(
      options.clock ?? Date.now,
      options.doesNotExistTimeoutMs ?? DEFAULT_DOES_NOT_EXIST_TIMEOUT_MS,
    );
  }

  get version(): string {
    return this.appliedVersion;
  }

  heldNames(): string[] {
    return [...this.held.keys()].sort();
  }

  /**
   * The first request on a new stream: the full subscription, the last applied version (so the server
   * may skip what the client has) and no nonce (nonces do not survive a reconnect). Undefined when
   * there is nothing to ask for: an empty list would read as a wildcard request.
   */
  initialRequest(): SotwRequest | undefined {
    this.connected = true;
    this.nonce = '';
    this.explicitSent = false;
    this.timers.clear();
    if (this.wildcardMode === 'off' && this.names.size === 0) return undefined;
    for (const name of this.names) if (!this.held.has(name)) this.timers.start(name);
    return this.request();
  }

  /** The stream broke: timers stop (no server could answer), the nonce is forgotten. */
  disconnect(): void {
    this.connected = false;
    this.nonce = '';
    this.timers.clear();
  }

  /** Adds names; returns the request to send when connected and something changed. */
  subscribe(names: readonly string[]): SubscribeResult<SotwRequest> {
    const fresh = newNames(this.typeUrl, names, this.names, this.limits);
    if (!fresh.ok) return fresh;
    const added = fresh.added;
    if (added.length === 0) return { ok: true, request: undefined, dropped: [] };
    for (const name of added) {
      this.names.add(name);
      if (this.connected && !this.held.has(name)) this.timers.start(name);
    }
    return { ok: true, request: this.connected ? this.request() : undefined, dropped: [] };
  }

  /**
   * Removes names. Unless the wildcard still covers them, their resources are dropped from tracking
   * and listed in `dropped` for the caller to delete.
   */
  unsubscribe(names: readonly string[]): SubscribeResult<SotwRequest> {
    const removed = names.filter((name) => this.names.has(name));
    if (removed.length === 0) return { ok: true, request: undefined, dropped: [] };
    const dropped: string[] = [];
    for (const name of removed) {
      this.names.delete(name);
      this.timers.cancel(name);
      if (this.wildcardMode === 'off' && this.held.delete(name)) dropped.push(name);
    }
    return { ok: true, request: this.connected ? this.request() : undefined, dropped: dropped.sort() };
  }

  /**
   * Turns the wildcard on (as an explicit "*": the legacy form only works on a first request) or off.
   * Turning it off drops every held resource not subscribed by name.
   */
  setWildcard(on: boolean): SubscribeResult<SotwRequest> {
    if (on === (this.wildcardMode !== 'off')) return { ok: true, request: undefined, dropped: [] };
    const dropped: string[] = [];
    if (on) {
      this.wildcardMode = 'explicit';
    } else {
      this.wildcardMode = 'off';
      for (const name of [...this.held.keys()]) {
        if (!this.names.has(name)) {
          this.held.delete(name);
          dropped.push(name);
        }
      }
    }
    return { ok: true, request: this.connected ? this.request() : undefined, dropped: dropped.sort() };
  }

  /** Names whose does-not-exist deadline passed; each is reported once. */
  expireDoesNotExist(): string[] {
    return this.timers.expire();
  }

  /** When to call `expireDoesNotExist` next, on the injected clock; undefined when no timer runs. */
  nextDoesNotExistDeadline(): number | undefined {
    return this.timers.nextDeadline();
  }

  /**
   * Processes one response: checks names and types, works out what changed and what was removed,
   * calls `apply`, and returns the ACK (the response's version) or the NACK (the last applied
   * version, the response's nonce, and error_detail naming each rejected resource).
   */
  handleResponse(response: DiscoveryResponse, apply: ApplyUpdate): ResponseResult<SotwRequest> {
    const mismatch = checkTypeUrl(this.typeUrl, response.typeUrl);
    if (mismatch) return { kind: 'invalid', error: mismatch };
    this.nonce = response.nonce ?? '';
    const resources = response.resources ?? [];
    const version = response.versionInfo ?? '';

    if (resources.length > this.limits.maxResourceNamesPerType) {
      const error = tooManyNames(this.typeUrl, resources.length, this.limits);
      return this.answer(
        [{ name: '(response)', message: `${error.code}: ${error.message}` }],
        undefined,
        version,
      );
    }

    const errors: ResourceError[] = [];
    const present = new Set<string>();
    const byName = new Map<string, Any>();
    const duplicates = new Set<string>();
    resources.forEach((resource, index) => {
      const name = this.resourceName(resource);
      if (name === undefined || name === '') {
        errors.push({
          name: `#${index}`,
          message: `${XdsStreamErrorCode.ResourceNameUnknown}: no resource name`,
        });
        return;
      }
      present.add(name);
      if (resource.type_url !== this.typeUrl) {
        errors.push({
          name,
          message: `${XdsStreamErrorCode.ResourceTypeMismatch}: ${resource.type_url ?? ''} in a ${this.typeUrl} response`,
        });
        return;
      }
      if (byName.has(name) || duplicates.has(name)) duplicates.add(name);
      else byName.set(name, resource);
    });
    for (const name of duplicates) {
      byName.delete(name);
      errors.push({ name, message: `${XdsStreamErrorCode.DuplicateResource}: appears more than once` });
    }

    const wildcard = this.wildcardMode !== 'off';
    const updated: ReceivedResource[] = [];
    for (const [name, resource] of byName) {
      // Resources the client did not ask for are ignored, as the protocol tells clients to.
      if (!wildcard && !this.names.has(name)) continue;
      this.timers.cancel(name);
      const contentVersion = digest(resource);
      if (this.held.get(name) !== contentVersion) updated.push({ name, version: contentVersion, resource });
    }
    const fresh = updated.filter((r) => !this.held.has(r.name)).length;
    if (this.held.size + fresh > this.limits.maxResourceNamesPerType) {
      const error = tooManyNames(this.typeUrl, this.held.size + fresh, this.limits);
      return this.answer(
        [{ name: '(response)', message: `${error.code}: ${error.message}` }],
        undefined,
        version,
      );
    }

    // Listener and Cluster responses carry the whole state: a held resource left out was deleted.
    // Other types are partial, so absence means nothing and deletion comes via the parent resource.
    const removed: string[] = [];
    if (isFullStateType(this.typeUrl)) {
      for (const name of this.held.keys()) if (!present.has(name)) removed.push(name);
    }

    let update: ResourceUpdate | undefined;
    if (updated.length > 0 || removed.length > 0) {
      update = { typeUrl: this.typeUrl, version, updated, removed: removed.sort(), absent: [] };
      errors.push(...applySafely(apply, update));
    }
    recordApplied(this.held, errors, updated, removed);
    return this.answer(errors, update, version);
  }

  status(): ClientSyncStatus {
    return {
      typeUrl: this.typeUrl,
      variant: 'sotw',
      wildcard: this.wildcardMode !== 'off',
      subscribedNames: this.names.size,
      heldResources: this.held.size,
      appliedVersion: this.appliedVersion,
      lastNonce: this.nonce,
      ...(this.lastNack ? { lastNack: { ...this.lastNack } } : {}),
    };
  }

  private answer(
    errors: readonly ResourceError[],
    update: ResourceUpdate | undefined,
    version: string,
  ): ResponseResult<SotwRequest> {
    if (errors.length === 0) {
      this.appliedVersion = version;
      return { kind: 'ack', request: this.request(), errors, update };
    }
    const detail = errorDetailFor(errors, this.limits);
    this.lastNack = { nonce: this.nonce, message: detail.message ?? '' };
    // A NACK reports the version still in use, not the rejected one.
    return { kind: 'nack', request: this.request(detail), errors, update };
  }

  private request(errorDetail?: Status): SotwRequest {
    const names = [...this.names].sort();
    let resourceNames: string[];
    if (this.wildcardMode === 'off') resourceNames = names;
    else if (this.wildcardMode === 'legacy' && names.length === 0 && !this.explicitSent) resourceNames = [];
    else resourceNames = [WILDCARD, ...names];
    if (resourceNames.length > 0) this.explicitSent = true;
    return {
      versionInfo: this.appliedVersion,
      resourceNames,
      typeUrl: this.typeUrl,
      responseNonce: this.nonce,
      ...(errorDetail ? { errorDetail } : {}),
    };
  }
}
