import { describe, expect, it } from 'vitest';
import {
  type DiscoveryResponse,
  type SotwClientOptions,
  SotwClientState,
  XdsStreamErrorCode,
} from '../../src/stream/index.js';
import { CDS, EDS, FakeProxy, LDS, pack, RDS, resourceName } from './helpers.js';

function client(typeUrl: string, extra: Partial<SotwClientOptions> = {}) {
  return new SotwClientState({ typeUrl, resourceName, ...extra });
}

function response(
  typeUrl: string,
  version: string,
  nonce: string,
  table: Record<string, string>,
): DiscoveryResponse {
  return {
    typeUrl,
    versionInfo: version,
    nonce,
    resources: Object.entries(table).map(([name, content]) => pack(typeUrl, name, content)),
  };
}

describe('SotW client: requests', () => {
  it('opens an LDS stream with the legacy wildcard: empty names, no version, no nonce', () => {
    expect(client(LDS).initialRequest()).toEqual({
      versionInfo: '',
      resourceNames: [],
      typeUrl: LDS,
      responseNonce: '',
    });
  });

  it('opens with an explicit "*" when configured for explicit wildcard', () => {
    expect(client(CDS, { wildcard: 'explicit' }).initialRequest()?.resourceNames).toEqual(['*']);
  });

  it('sends no first request for EDS until a name is subscribed: an empty list would mean wildcard', () => {
    const c = client(EDS);
    expect(c.initialRequest()).toBeUndefined();
    expect(c.subscribe(['x'])).toMatchObject({ ok: true, request: { resourceNames: ['x'] } });
  });

  it('collects subscriptions made before the stream is up into the first request', () => {
    const c = client(RDS);
    expect(c.subscribe(['r2', 'r1'])).toEqual({ ok: true, request: undefined, dropped: [] });
    expect(c.initialRequest()?.resourceNames).toEqual(['r1', 'r2']);
  });

  it('adding a name to a legacy wildcard sends "*" with it, since a bare name would end the wildcard', () => {
    const c = client(LDS, { wildcard: 'legacy' });
    c.initialRequest();
    const result = c.subscribe(['api']);
    expect(result.ok && result.request?.resourceNames).toEqual(['*', 'api']);
    const after = c.unsubscribe(['api']);
    // Once a name was sent, an empty list would mean "nothing", so the wildcard stays explicit.
    expect(after.ok && after.request?.resourceNames).toEqual(['*']);
  });

  it('unsubscribing sends the remaining names and drops the resource from tracking', () => {
    const c = client(EDS);
    c.subscribe(['x', 'y']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'v1', 'n1', { x: '1', y: '1' }), () => []);
    const result = c.unsubscribe(['y']);
    expect(result).toMatchObject({
      ok: true,
      request: { resourceNames: ['x'], responseNonce: 'n1' },
      dropped: ['y'],
    });
    expect(c.heldNames()).toEqual(['x']);
  });

  it('rejects subscribing to more names than the limit with a typed error', () => {
    const c = client(EDS, { limits: { maxResourceNamesPerType: 1 } });
    const result = c.subscribe(['a', 'b']);
    expect(!result.ok && result.error.code).toBe(XdsStreamErrorCode.TooManyResourceNames);
  });

  it('reconnects with the last applied version and no nonce', () => {
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v7', 'n1', { a: '1' }), () => []);
    c.disconnect();
    expect(c.initialRequest()).toEqual({
      versionInfo: 'v7',
      resourceNames: [],
      typeUrl: CDS,
      responseNonce: '',
    });
  });
});

describe('SotW client: ACK and NACK', () => {
  it('ACKs with the response version and nonce', () => {
    const c = client(CDS);
    c.initialRequest();
    const result = c.handleResponse(response(CDS, 'v1', 'n1', { a: '1' }), () => []);
    expect(result).toMatchObject({
      kind: 'ack',
      request: { versionInfo: 'v1', responseNonce: 'n1', resourceNames: [] },
    });
    expect(result.kind !== 'invalid' && result.request.errorDetail).toBeUndefined();
    expect(c.version).toBe('v1');
  });

  it('NACK keeps the last acked version, carries the nonce, and names resources and reasons', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1' }), proxy.apply);
    proxy.reject.add('bad');
    const result = c.handleResponse(response(CDS, 'v2', 'n2', { a: 'bad' }), proxy.apply);
    expect(result.kind).toBe('nack');
    if (result.kind !== 'nack') return;
    expect(result.request).toMatchObject({ versionInfo: 'v1', responseNonce: 'n2' });
    expect(result.request.errorDetail).toEqual({
      code: 3,
      message: '1 resource rejected: a: content bad is invalid',
    });
    expect(c.version).toBe('v1');
    expect(proxy.view()).toEqual({ a: '1' });
  });

  it('keeps applying the valid resources of a NACKed response; the rejected one keeps its last good version', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1', b: '1' }), proxy.apply);
    proxy.reject.add('bad');
    c.handleResponse(response(CDS, 'v2', 'n2', { a: 'bad', b: '2' }), proxy.apply);
    expect(proxy.view()).toEqual({ a: '1', b: '2' });
    // The same bad resource arrives again: it is still new to the client, so it is offered again.
    const again = c.handleResponse(response(CDS, 'v3', 'n3', { a: 'bad', b: '2' }), proxy.apply);
    expect(again.kind !== 'invalid' && again.update?.updated.map((r) => r.name)).toEqual(['a']);
  });

  it('an ACK after a NACK moves to the new version', () => {
    const proxy = new FakeProxy();
    proxy.reject.add('bad');
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: 'bad' }), proxy.apply);
    expect(c.version).toBe('');
    const result = c.handleResponse(response(CDS, 'v2', 'n2', { a: 'good' }), proxy.apply);
    expect(result).toMatchObject({ kind: 'ack', request: { versionInfo: 'v2', responseNonce: 'n2' } });
  });

  it('NACKs a response with the same resource name twice', () => {
    const c = client(CDS);
    c.initialRequest();
    const r = response(CDS, 'v1', 'n1', { a: '1' });
    r.resources = [pack(CDS, 'a', '1'), pack(CDS, 'a', '2'), pack(CDS, 'b', '1')];
    const result = c.handleResponse(r, () => []);
    expect(result.kind).toBe('nack');
    expect(result.kind !== 'invalid' && result.errors[0]?.message).toContain(
      XdsStreamErrorCode.DuplicateResource,
    );
    expect(c.heldNames()).toEqual(['b']);
  });

  it('NACKs a resource whose type_url differs from the response type', () => {
    const c = client(CDS);
    c.initialRequest();
    const r = response(CDS, 'v1', 'n1', {});
    r.resources = [{ ...pack(CDS, 'a', '1'), type_url: LDS }];
    const result = c.handleResponse(r, () => []);
    expect(result.kind !== 'invalid' && result.errors[0]?.message).toContain(
      XdsStreamErrorCode.ResourceTypeMismatch,
    );
  });

  it('NACKs a resource whose name cannot be read', () => {
    const c = client(CDS);
    c.initialRequest();
    const r = response(CDS, 'v1', 'n1', {});
    r.resources = [{ type_url: CDS, value: new Uint8Array([0xff, 0xff]) }];
    const result = c.handleResponse(r, () => []);
    expect(result.kind !== 'invalid' && result.errors[0]).toMatchObject({ name: '#0' });
  });

  it('NACKs a response with more resources than the limit, applying nothing', () => {
    const proxy = new FakeProxy();
    const c = client(CDS, { limits: { maxResourceNamesPerType: 1 } });
    c.initialRequest();
    const result = c.handleResponse(response(CDS, 'v1', 'n1', { a: '1', b: '1' }), proxy.apply);
    expect(result.kind).toBe('nack');
    expect(proxy.updates).toEqual([]);
  });

  it('caps the NACK message and counts what it left out', () => {
    const c = client(CDS, { limits: { maxErrorDetailLength: 40 } });
    c.initialRequest();
    const errors = ['a', 'b', 'c', 'd'].map((name) => ({ name, message: 'this resource is not valid' }));
    const result = c.handleResponse(
      response(CDS, 'v1', 'n1', { a: '1', b: '1', c: '1', d: '1' }),
      () => errors,
    );
    expect(result.kind !== 'invalid' && result.request.errorDetail?.message).toMatch(
      /^4 resources rejected: a: .*; and 3 more$/,
    );
  });

  it('treats a response for another type as invalid', () => {
    const result = client(CDS).handleResponse(response(LDS, 'v1', 'n1', {}), () => []);
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TypeUrlMismatch);
  });
});

describe('SotW client: what a response means', () => {
  it('SotW LDS response missing a subscribed listener removes it', () => {
    const proxy = new FakeProxy();
    const c = client(LDS, { wildcard: 'off' });
    c.subscribe(['a', 'b']);
    c.initialRequest();
    c.handleResponse(response(LDS, 'v1', 'n1', { a: '1', b: '1' }), proxy.apply);
    const result = c.handleResponse(response(LDS, 'v2', 'n2', { a: '1' }), proxy.apply);
    expect(result.kind !== 'invalid' && result.update?.removed).toEqual(['b']);
    expect(proxy.view()).toEqual({ a: '1' });
  });

  it('an empty CDS response deletes every cluster', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1', b: '1' }), proxy.apply);
    c.handleResponse(response(CDS, 'v2', 'n2', {}), proxy.apply);
    expect(proxy.view()).toEqual({});
    expect(c.heldNames()).toEqual([]);
  });

  it('a SotW EDS response missing a subscribed resource means nothing: it stays', () => {
    const proxy = new FakeProxy();
    const c = client(EDS);
    c.subscribe(['x', 'y']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'v1', 'n1', { x: '1', y: '1' }), proxy.apply);
    const result = c.handleResponse(response(EDS, 'v2', 'n2', { x: '2' }), proxy.apply);
    expect(result.kind !== 'invalid' && result.update?.removed).toEqual([]);
    expect(proxy.view()).toEqual({ x: '2', y: '1' });
  });

  it('passes only new and changed resources to apply', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1', b: '1' }), proxy.apply);
    c.handleResponse(response(CDS, 'v2', 'n2', { a: '1', b: '2', c: '1' }), proxy.apply);
    expect(proxy.updates[1]?.updated.map((r) => r.name)).toEqual(['b', 'c']);
  });

  it('does not call apply when nothing changed, and still ACKs', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1' }), proxy.apply);
    const result = c.handleResponse(response(CDS, 'v2', 'n2', { a: '1' }), proxy.apply);
    expect(proxy.updates).toHaveLength(1);
    expect(result).toMatchObject({ kind: 'ack', update: undefined, request: { versionInfo: 'v2' } });
  });

  it('ignores resources it did not subscribe to', () => {
    const proxy = new FakeProxy();
    const c = client(RDS);
    c.subscribe(['r1']);
    c.initialRequest();
    c.handleResponse(response(RDS, 'v1', 'n1', { r1: '1', other: '1' }), proxy.apply);
    expect(proxy.view()).toEqual({ r1: '1' });
  });
});

describe('SotW client: resource does not exist', () => {
  it('deems a subscribed resource absent after the timeout on the injected clock', () => {
    let now = 1000;
    const c = client(EDS, { clock: () => now, doesNotExistTimeoutMs: 15_000 });
    c.subscribe(['x']);
    c.initialRequest();
    expect(c.nextDoesNotExistDeadline()).toBe(16_000);
    now = 15_999;
    expect(c.expireDoesNotExist()).toEqual([]);
    now = 16_000;
    expect(c.expireDoesNotExist()).toEqual(['x']);
    expect(c.expireDoesNotExist()).toEqual([]);
    expect(c.nextDoesNotExistDeadline()).toBeUndefined();
  });

  it('receiving the resource cancels its timer', () => {
    let now = 0;
    const c = client(EDS, { clock: () => now });
    c.subscribe(['x', 'y']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'v1', 'n1', { x: '1' }), () => []);
    now = 20_000;
    expect(c.expireDoesNotExist()).toEqual(['y']);
  });

  it('starts a timer for a name subscribed on a live stream, and stops it on unsubscribe', () => {
    let now = 0;
    const c = client(RDS, { clock: () => now });
    c.subscribe(['a']);
    c.initialRequest();
    c.handleResponse(response(RDS, 'v1', 'n1', { a: '1' }), () => []);
    now = 100;
    c.subscribe(['b']);
    expect(c.nextDoesNotExistDeadline()).toBe(15_100);
    c.unsubscribe(['b']);
    expect(c.nextDoesNotExistDeadline()).toBeUndefined();
  });

  it('pauses timers while disconnected and restarts them on the next stream', () => {
    let now = 0;
    const c = client(EDS, { clock: () => now });
    c.subscribe(['x']);
    c.initialRequest();
    c.disconnect();
    now = 60_000;
    expect(c.expireDoesNotExist()).toEqual([]);
    c.initialRequest();
    expect(c.nextDoesNotExistDeadline()).toBe(75_000);
  });

  it('runs no timers for a wildcard subscription', () => {
    const c = client(CDS);
    c.initialRequest();
    expect(c.nextDoesNotExistDeadline()).toBeUndefined();
  });

  it('reports its state', () => {
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1' }), () => []);
    expect(c.status()).toEqual({
      typeUrl: CDS,
      variant: 'sotw',
      wildcard: true,
      subscribedNames: 0,
      heldResources: 1,
      appliedVersion: 'v1',
      lastNonce: 'n1',
    });
  });
});

describe('SotW client: switching the wildcard', () => {
  it('turns the wildcard on with an explicit "*" and off by dropping what only the wildcard brought', () => {
    const c = client(CDS, { wildcard: 'off' });
    c.subscribe(['a']);
    c.initialRequest();
    const on = c.setWildcard(true);
    expect(on.ok && on.request?.resourceNames).toEqual(['*', 'a']);
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1', b: '1' }), () => []);
    const off = c.setWildcard(false);
    expect(off).toMatchObject({ ok: true, request: { resourceNames: ['a'] }, dropped: ['b'] });
    expect(c.heldNames()).toEqual(['a']);
  });
});

describe('SotW client: an apply that throws', () => {
  it('NACKs, keeps every resource at its last good version and keeps pending removals', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'v1', 'n1', { a: '1', b: '1' }), proxy.apply);
    const result = c.handleResponse(response(CDS, 'v2', 'n2', { a: '2' }), () => {
      throw new Error('cluster manager busy');
    });
    expect(result).toMatchObject({
      kind: 'nack',
      request: {
        versionInfo: 'v1',
        errorDetail: { message: '1 resource rejected: (apply): apply failed: cluster manager busy' },
      },
    });
    expect(c.heldNames()).toEqual(['a', 'b']);
    // The same response again is offered in full: a changed, b removed.
    const again = c.handleResponse(response(CDS, 'v2', 'n3', { a: '2' }), proxy.apply);
    expect(again.kind !== 'invalid' && again.update).toMatchObject({ removed: ['b'] });
    expect(again.kind !== 'invalid' && again.update?.updated.map((r) => r.name)).toEqual(['a']);
  });
});
