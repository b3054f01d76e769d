// Client side of incremental (Delta) xDS, for one type: subscriptions sent as changes, the version of
// every held resource (declared on reconnect as initial_resource_versions), removals, and ACK/NACK.
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
import type { ClientSyncStatus } from './sotw-client.js';
import {
  checkResourceName,
  checkTypeUrl,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  isFullStateType,
  newNames,
  resolveLimits,
  type Status,
  type StreamLimits,
  tooManyNames,
  WILDCARD,
} from './types.js';

export type DeltaClientOptions = ClientOptions;

/** A request ready for `DeltaDiscoveryRequest.encode`. */
export interface DeltaRequest extends DeltaDiscoveryRequest {
  readonly typeUrl: string;
}

export class DeltaClientState {
  readonly typeUrl: string;
  private readonly limits: StreamLimits;
  private readonly timers: DoesNotExistTimers;
  private readonly names = new Set<string>();
  private wildcardMode: WildcardMode;
  private connected = false;
  private nonce = '';
  private systemVersion = '';
  /** Name to server version of every resource currently applied. */
  private readonly held = new Map<string, string>();
  private lastNack: { nonce: string; message: string } | undefined;

  constructor(options: DeltaClientOptions) {
    this.typeUrl = options.typeUrl;
    this.limits = resolveLimits(options.limits);
    this.wildcardMode = options.wildcard ?? (isFullStateType(options.typeUrl) ? 'legacy' : 'off');
    this.timers = new DoesNotExistTimers(
      options.clock ?? Date.now,
      options.doesNotExistTimeoutMs ?? DEFAULT_DOES_NOT_EXIST_TIMEOUT_MS,
    );
  }

  /** Versions of the resources held, by name: what a reconnect declares. */
  heldVersions(): ReadonlyMap<string, string> {
    return this.held;
  }

  /**
   * The first request on a new stream. No state survives a reconnect on the server, so it carries the
   * whole subscription, plus the versions held so the server sends only what differs.
   */
  initialRequest(): DeltaRequest | undefined {
    this.connected = true;
    this.nonce = '';
    this.timers.clear();
    if (this.wildcardMode === 'off' && this.names.size === 0) return undefined;
    const names = [...this.names].sort();
    let subscribe: string[];
    if (this.wildcardMode === 'off') subscribe = names;
    // The legacy form (both lists empty) only works while no explicit name is subscribed.
    else if (this.wildcardMode === 'legacy' && names.length === 0) subscribe = [];
    else subscribe = [WILDCARD, ...names];
    for (const name of this.names) if (!this.held.has(name)) this.timers.start(name);
    const request: DeltaRequest = { typeUrl: this.typeUrl, resourceNamesSubscribe: subscribe };
    if (this.held.size > 0) return { ...request, initialResourceVersions: Object.fromEntries(this.held) };
    return request;
  }

  disconnect(): void {
    this.connected = false;
    this.nonce = '';
    this.timers.clear();
  }

  /** Subscribes to more names: a spontaneous request carrying only the new names and no nonce. */
  subscribe(names: readonly string[]): SubscribeResult<DeltaRequest> {
    const fresh = newNames(this.typeUrl, names, this.names, this.limits);
    if (!fresh.ok) return fresh;
    const added = fresh.added;
    if (added.length === 0) return { ok: true, request: undefined, dropped: [] };
    for (const name of added) {
      this.names.add(name);
      if (this.connected && !this.held.has(name)) this.timers.start(name);
    }
    if (!this.connected) return { ok: true, request: undefined, dropped: [] };
    return {
      ok: true,
      request: { typeUrl: this.typeUrl, resourceNamesSubscribe: added.sort() },
      dropped: [],
    };
  }

  /**
   * Unsubscribes. Without a wildcard the resources are dropped at once (`dropped`); under a wildcard
   * the server says whether the wildcard still covers them, so they stay until it does.
   */
  unsubscribe(names: readonly string[]): SubscribeResult<DeltaRequest> {
    const removed = [...new Set(names.filter((name) => this.names.has(name)))].sort();
    if (removed.length === 0) return { ok: true, request: undefined, dropped: [] };
    const dropped: string[] = [];
    for (const name of removed) {
      this.names.delete(name);
      this.timers.cancel(name);
      if (this.wildcardMode === 'off' && this.held.delete(name)) dropped.push(name);
    }
    const request = this.connected ? { typeUrl: this.typeUrl, resourceNamesUnsubscribe: removed } : undefined;
    return { ok: true, request, dropped };
  }

  /**
   * Subscribes to "*" or unsubscribes from it. Leaving the wildcard drops every held resource not
   * subscribed by name.
   */
  setWildcard(on: boolean): SubscribeResult<DeltaRequest> {
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
    if (!this.connected) return { ok: true, request: undefined, dropped: dropped.sort() };
    const request: DeltaRequest = on
      ? { typeUrl: this.typeUrl, resourceNamesSubscribe: [WILDCARD] }
      : { typeUrl: this.typeUrl, resourceNamesUnsubscribe: [WILDCARD] };
    return { ok: true, request, dropped: dropped.sort() };
  }

  expireDoesNotExist(): string[] {
    return this.timers.expire();
  }

  nextDoesNotExistDeadline(): number | undefined {
    return this.timers.nextDeadline();
  }

  /**
   * Processes one response: the resources in it are new or changed, removed_resources are deleted
   * (or, for names never received, do not exist). Returns the ACK or NACK carrying its nonce.
   */
  handleResponse(response: DeltaDiscoveryResponse, apply: ApplyUpdate): ResponseResult<DeltaRequest> {
    const mismatch = checkTypeUrl(this.typeUrl, response.typeUrl);
    if (mismatch) return { kind: 'invalid', error: mismatch };
    this.nonce = response.nonce ?? '';
    const version = response.systemVersionInfo ?? '';
    const resources = response.resources ?? [];
    const removedNames = response.removedResources ?? [];
    if (resources.length + removedNames.length > this.limits.maxResourceNamesPerType) {
      const error = tooManyNames(this.typeUrl, resources.length + removedNames.length, this.limits);
      return this.answer(
        [{ name: '(response)', message: `${error.code}: ${error.message}` }],
        undefined,
        version,
      );
    }

    const wildcard = this.wildcardMode !== 'off';
    const errors: ResourceError[] = [];
    const byName = new Map<string, ReceivedResource>();
    const duplicates = new Set<string>();
    for (const [index, entry] of resources.entries()) {
      const name = entry.name ?? '';
      if (name === '' || checkResourceName(name, this.limits)) {
        errors.push({ name: `#${index}`, message: `${XdsStreamErrorCode.InvalidResourceName}: bad name` });
        continue;
      }
      // A Resource without a body is a TTL heartbeat; TTLs are not supported, so it changes nothing.
      if (!entry.resource) continue;
      if (entry.resource.type_url !== this.typeUrl) {
        errors.push({
          name,
          message: `${XdsStreamErrorCode.ResourceTypeMismatch}: ${entry.resource.type_url ?? ''} in a ${this.typeUrl} response`,
        });
        continue;
      }
      if (!wildcard && !this.names.has(name)) continue;
      if (byName.has(name) || duplicates.has(name)) duplicates.add(name);
      else byName.set(name, { name, version: entry.version ?? '', resource: entry.resource });
    }
    for (const name of duplicates) {
      byName.delete(name);
      errors.push({ name, message: `${XdsStreamErrorCode.DuplicateResource}: appears more than once` });
    }
    let fresh = 0;
    for (const name of byName.keys()) {
      if (!this.held.has(name)) fresh += 1;
      this.timers.cancel(name);
    }
    if (this.held.size + fresh > this.limits.maxResourceNamesPerType) {
      const error = tooManyNames(this.typeUrl, this.held.size + fresh, this.limits);
      return this.answer(
        [{ name: '(response)', message: `${error.code}: ${error.message}` }],
        undefined,
        version,
      );
    }

    const removed: string[] = [];
    const absent: string[] = [];
    for (const name of new Set(removedNames)) {
      this.timers.cancel(name);
      if (this.held.has(name)) removed.push(name);
      else if (this.names.has(name)) absent.push(name);
    }

    const updated = [...byName.values()];
    let update: ResourceUpdate | undefined;
    if (updated.length > 0 || removed.length > 0 || absent.length > 0) {
      update = { typeUrl: this.typeUrl, version, updated, removed: removed.sort(), absent: absent.sort() };
      errors.push(...applySafely(apply, update));
    }
    recordApplied(this.held, errors, updated, removed);
    return this.answer(errors, update, version);
  }

  status(): ClientSyncStatus {
    return {
      typeUrl: this.typeUrl,
      variant: 'delta',
      wildcard: this.wildcardMode !== 'off',
      subscribedNames: this.names.size,
      heldResources: this.held.size,
      appliedVersion: this.systemVersion,
      lastNonce: this.nonce,
      ...(this.lastNack ? { lastNack: { ...this.lastNack } } : {}),
    };
  }

  private answer(
    errors: readonly ResourceError[],
    update: ResourceUpdate | undefined,
    version: string,
  ): ResponseResult<DeltaRequest> {
    if (errors.length === 0) {
      this.systemVersion = version;
      return { kind: 'ack', request: { typeUrl: this.typeUrl, responseNonce: this.nonce }, errors, update };
    }
    const errorDetail: Status = errorDetailFor(errors, this.limits);
    this.lastNack = { nonce: this.nonce, message: errorDetail.message ?? '' };
    return {
      kind: 'nack',
      request: { typeUrl: this.typeUrl, responseNonce: this.nonce, errorDetail },
      errors,
      update,
    };
  }
}
