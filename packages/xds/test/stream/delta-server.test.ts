import { describe, expect, it } from 'vitest';
import { type DeltaResponse, DeltaServerState, XdsStreamErrorCode } from '../../src/stream/index.js';
import { CDS, EDS, LDS, nonces, RDS, snapshot } from './helpers.js';

function server(typeUrl: string = CDS, limits = {}) {
  return new DeltaServerState({ typeUrl, nonce: nonces(), limits });
}

function sent(response: DeltaResponse | undefined): Record<string, string> {
  return Object.fromEntries((response?.resources ?? []).map((r) => [r.name, r.version]));
}

function must(response: DeltaResponse | undefined): DeltaResponse {
  if (!response) throw new Error('expected a response');
  return response;
}

function ackOf(response: DeltaResponse) {
  return { typeUrl: response.typeUrl, responseNonce: response.nonce };
}

describe('Delta server: initial request and wildcard', () => {
  it('treats a first request with empty subscribe and unsubscribe lists as a legacy wildcard', () => {
    const s = server();
    expect(s.receive({ typeUrl: CDS }).kind).toBe('initial');
    expect(s.wildcard).toBe(true);
    expect(sent(s.respond(snapshot(CDS, { a: '1', b: '1' })))).toEqual({ a: '1', b: '1' });
  });

  it('answers the first request even when there is nothing to send', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    const r = must(s.respond(snapshot(CDS, {})));
    expect(r.resources).toEqual([]);
    expect(r.removedResources).toEqual([]);
    expect(s.respond(snapshot(CDS, {}))).toBeUndefined();
  });

  it('follows the legacy-to-explicit wildcard sequence of the protocol', () => {
    const s = server(LDS);
    s.receive({ typeUrl: LDS });
    expect(s.wildcard).toBe(true);
    const r = must(s.respond(snapshot(LDS, {})));
    s.receive({ ...ackOf(r), resourceNamesSubscribe: ['A'] });
    expect(s.wildcard).toBe(true);
    expect(s.subscribedNames()).toEqual(['A']);
    s.receive({ typeUrl: LDS, resourceNamesUnsubscribe: ['*'] });
    expect(s.wildcard).toBe(false);
    expect(s.subscribedNames()).toEqual(['A']);
    s.receive({ typeUrl: LDS, resourceNamesUnsubscribe: ['A'] });
    expect(s.wildcard).toBe(false);
    expect(s.subscribedNames()).toEqual([]);
    // Empty again, as after the first request, but no longer a wildcard.
    s.receive({ typeUrl: LDS });
    expect(s.wildcard).toBe(false);
  });

  it('an explicit "*" subscribes to the wildcard', () => {
    const s = server(LDS);
    s.receive({ typeUrl: LDS, resourceNamesSubscribe: ['*'] });
    expect(s.wildcard).toBe(true);
    expect(s.subscribedNames()).toEqual([]);
  });

  it('a first request naming resources is not a wildcard', () => {
    const s = server();
    s.receive({ typeUrl: CDS, resourceNamesSubscribe: ['a'] });
    expect(s.wildcard).toBe(false);
    expect(sent(s.respond(snapshot(CDS, { a: '1', b: '1' })))).toEqual({ a: '1' });
  });

  it('an empty first request for EDS subscribes to nothing', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS });
    expect(s.wildcard).toBe(false);
    expect(must(s.respond(snapshot(EDS, { e: '1' }))).resources).toEqual([]);
  });

  it('wildcard CDS subscription receives new clusters, and only them', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1' })))));
    expect(sent(s.respond(snapshot(CDS, { a: '1', b: '1' })))).toEqual({ b: '1' });
  });

  it('leaving the wildcard stops updates for resources that were only covered by it', () => {
    const s = server();
    s.receive({ typeUrl: CDS, resourceNamesSubscribe: ['*', 'a'] });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1', b: '1' })))));
    s.receive({ typeUrl: CDS, resourceNamesUnsubscribe: ['*'] });
    expect(s.respond(snapshot(CDS, { a: '1', b: '2' }))).toBeUndefined();
    expect(sent(s.respond(snapshot(CDS, { a: '2', b: '2' })))).toEqual({ a: '2' });
  });
});

describe('Delta server: per-resource versions and removals', () => {
  it('sends only added and changed resources, each with its own version', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1', b: '1', c: '1' })))));
    const r = must(s.respond(snapshot(CDS, { a: '1', b: '2', c: '1', d: '1' })));
    expect(sent(r)).toEqual({ b: '2', d: '1' });
    expect(r.removedResources).toEqual([]);
  });

  it('lists a deleted resource in removed_resources', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1', b: '1' })))));
    const r = must(s.respond(snapshot(CDS, { a: '1' })));
    expect(r.resources).toEqual([]);
    expect(r.removedResources).toEqual(['b']);
    expect(s.respond(snapshot(CDS, { a: '1' }))).toBeUndefined();
  });

  it('changes system_version_info when the client-visible state changes', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    const r1 = must(s.respond(snapshot(CDS, { a: '1' })));
    const r2 = must(s.respond(snapshot(CDS, { a: '2' })));
    expect(r1.systemVersionInfo).not.toBe(r2.systemVersionInfo);
    expect(r1.systemVersionInfo).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('Delta server: reconnect with initial_resource_versions', () => {
  it('delta reconnect with initial_resource_versions sends only changed resources', () => {
    const s = server();
    s.receive({ typeUrl: CDS, initialResourceVersions: { a: '1', b: '1', gone: '1' } });
    const r = must(s.respond(snapshot(CDS, { a: '1', b: '2', c: '1' })));
    expect(sent(r)).toEqual({ b: '2', c: '1' });
    expect(r.removedResources).toEqual(['gone']);
  });

  it('does not resend named resources the client declared at their current version', () => {
    const s = server(EDS);
    s.receive({
      typeUrl: EDS,
      resourceNamesSubscribe: ['x', 'y'],
      initialResourceVersions: { x: '1', y: '1' },
    });
    const r = must(s.respond(snapshot(EDS, { x: '1', y: '2' })));
    expect(sent(r)).toEqual({ y: '2' });
  });

  it('ignores initial_resource_versions after the first request of the stream', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    const r = must(s.respond(snapshot(CDS, { a: '1' })));
    s.receive({ ...ackOf(r), initialResourceVersions: { a: '0' } });
    expect(s.heldVersions().get('a')).toBe('1');
  });

  it('rejects more initial_resource_versions than the limit', () => {
    const s = server(CDS, { maxResourceNamesPerType: 1 });
    const result = s.receive({ typeUrl: CDS, initialResourceVersions: { a: '1', b: '1' } });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TooManyResourceNames);
    expect(s.heldVersions().size).toBe(0);
  });
});

describe('Delta server: subscribe and unsubscribe', () => {
  it('a spontaneous subscribe without nonce is a subscription change and the resource is sent', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    s.receive(ackOf(must(s.respond(snapshot(EDS, { x: '1', y: '1' })))));
    const result = s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['y'] });
    expect(result).toMatchObject({
      kind: 'subscription-change',
      mustRespond: true,
      change: { added: ['y'] },
    });
    expect(sent(s.respond(snapshot(EDS, { x: '1', y: '1' })))).toEqual({ y: '1' });
  });

  it('resends a resource the client subscribes to again, even at the same version', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    s.receive(ackOf(must(s.respond(snapshot(EDS, { x: '1' })))));
    const result = s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    expect(result.kind).toBe('subscription-change');
    expect(sent(s.respond(snapshot(EDS, { x: '1' })))).toEqual({ x: '1' });
  });

  it('tells the client a subscribed resource does not exist via removed_resources, once', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['ghost'] });
    const r = must(s.respond(snapshot(EDS, {})));
    expect(r.removedResources).toEqual(['ghost']);
    s.receive(ackOf(r));
    expect(s.respond(snapshot(EDS, {}))).toBeUndefined();
    expect(sent(s.respond(snapshot(EDS, { ghost: '1' })))).toEqual({ ghost: '1' });
  });

  it('unsubscribe in delta removes resource from tracking', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x', 'y'] });
    s.receive(ackOf(must(s.respond(snapshot(EDS, { x: '1', y: '1' })))));
    s.receive({ typeUrl: EDS, resourceNamesUnsubscribe: ['y'] });
    expect(s.heldVersions().has('y')).toBe(false);
    expect(s.respond(snapshot(EDS, { x: '1', y: '2' }))).toBeUndefined();
  });

  it('needs no response to a request that only unsubscribes', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x', 'y'] });
    s.receive(ackOf(must(s.respond(snapshot(EDS, { x: '1', y: '1' })))));
    s.receive({ typeUrl: EDS, resourceNamesUnsubscribe: ['x'] });
    expect(s.respond(snapshot(EDS, { x: '1', y: '1' }))).toBeUndefined();
  });

  it('ignores phantom unsubscriptions of names never subscribed', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    const r = must(s.respond(snapshot(EDS, { x: '1' })));
    const result = s.receive({ ...ackOf(r), resourceNamesUnsubscribe: ['nobody'] });
    expect(result.kind).toBe('ack');
    expect(s.subscribedNames()).toEqual(['x']);
  });

  it('under a wildcard, a phantom unsubscribe changes nothing and owes nothing', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1' })))));
    const result = s.receive({ typeUrl: CDS, resourceNamesUnsubscribe: ['a', 'never'] });
    expect(result).toMatchObject({ kind: 'unchanged', mustRespond: false });
    expect(s.respond(snapshot(CDS, { a: '1' }))).toBeUndefined();
  });

  it('under a wildcard, unsubscribing a name the wildcard covers resends that resource', () => {
    const s = server();
    s.receive({ typeUrl: CDS, resourceNamesSubscribe: ['*', 'a'] });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1', b: '1' })))));
    s.receive({ typeUrl: CDS, resourceNamesUnsubscribe: ['a'] });
    const r = must(s.respond(snapshot(CDS, { a: '1', b: '1' })));
    expect(sent(r)).toEqual({ a: '1' });
    expect(r.removedResources).toEqual([]);
  });

  it('under a wildcard, unsubscribing a name the wildcard does not cover lists it as removed', () => {
    const s = server();
    s.receive({ typeUrl: CDS, resourceNamesSubscribe: ['*', 'od'] });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1' })))));
    s.receive({ typeUrl: CDS, resourceNamesUnsubscribe: ['od'] });
    const r = must(s.respond(snapshot(CDS, { a: '1' })));
    expect(r.resources).toEqual([]);
    expect(r.removedResources).toEqual(['od']);
  });

  it('rejects a subscribe list over the limit and keeps the previous subscription', () => {
    const s = server(RDS, { maxResourceNamesPerType: 2 });
    s.receive({ typeUrl: RDS, resourceNamesSubscribe: ['a'] });
    const result = s.receive({ typeUrl: RDS, resourceNamesSubscribe: ['b', 'c'] });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TooManyResourceNames);
    expect(s.subscribedNames()).toEqual(['a']);
  });
});

describe('Delta server: ACK, NACK and nonces', () => {
  it('an ACK carries the response nonce and no error_detail', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    const r = must(s.respond(snapshot(CDS, { a: '1' })));
    const result = s.receive(ackOf(r));
    expect(result).toMatchObject({
      kind: 'ack',
      mustRespond: false,
      answers: { nonce: 'n1', accepted: true },
    });
    expect(s.status()).toMatchObject({
      lastAckedNonce: 'n1',
      lastAckedVersion: r.systemVersionInfo,
      synced: true,
    });
  });

  it('recognises a NACK by error_detail and does not resend the rejected version', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.receive(ackOf(must(s.respond(snapshot(CDS, { a: '1' })))));
    const r2 = must(s.respond(snapshot(CDS, { a: 'bad' })));
    const result = s.receive({ ...ackOf(r2), errorDetail: { code: 3, message: 'a: bad' } });
    expect(result).toMatchObject({ kind: 'nack', answers: { nonce: r2.nonce, accepted: false } });
    expect(s.status().lastNack).toMatchObject({ nonce: r2.nonce, message: 'a: bad' });
    expect(s.status().lastAckedNonce).toBe('n1');
    expect(s.respond(snapshot(CDS, { a: 'bad' }))).toBeUndefined();
    expect(sent(s.respond(snapshot(CDS, { a: 'fixed' })))).toEqual({ a: 'fixed' });
  });

  it('honours the subscription changes of a request with a stale nonce', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    const r1 = must(s.respond(snapshot(EDS, { x: '1', y: '1' })));
    s.receive(ackOf(r1));
    const result = s.receive({ ...ackOf(r1), resourceNamesSubscribe: ['y'] });
    expect(result).toMatchObject({ kind: 'subscription-change', mustRespond: true });
    expect(result.kind !== 'invalid' && result.answers).toBeUndefined();
    expect(s.subscribedNames()).toEqual(['x', 'y']);
  });

  it('classifies a request with an unknown nonce and no changes as stale', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.respond(snapshot(CDS, { a: '1' }));
    expect(s.receive({ typeUrl: CDS, responseNonce: 'zzz' }).kind).toBe('stale');
  });

  it('an ACK for a later response also settles the earlier ones', () => {
    const s = server();
    s.receive({ typeUrl: CDS });
    s.respond(snapshot(CDS, { a: '1' }));
    const r2 = must(s.respond(snapshot(CDS, { a: '2' })));
    s.receive(ackOf(r2));
    expect(s.status().synced).toBe(true);
    expect(s.receive({ typeUrl: CDS, responseNonce: 'n1' }).kind).toBe('stale');
  });

  it('remembers a bounded number of unanswered responses; forgotten nonces are stale', () => {
    const s = server(CDS, { maxInFlightResponses: 2 });
    s.receive({ typeUrl: CDS });
    for (let i = 1; i <= 4; i += 1) s.respond(snapshot(CDS, { a: String(i) }));
    expect(s.receive({ typeUrl: CDS, responseNonce: 'n1' }).kind).toBe('stale');
    expect(s.receive({ typeUrl: CDS, responseNonce: 'n3' }).kind).toBe('ack');
  });

  it('an ACK arriving while an earlier subscribe is unanswered is still an ack', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    const r1 = must(s.respond(snapshot(EDS, { x: '1' })));
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['y'] });
    expect(s.receive(ackOf(r1)).kind).toBe('ack');
    expect(s.status().pending).toBe(true);
    expect(sent(s.respond(snapshot(EDS, { x: '1', y: '1' })))).toEqual({ y: '1' });
    expect(s.status().pending).toBe(false);
  });

  it('clears the owed response when there turns out to be nothing to send', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    s.receive(ackOf(must(s.respond(snapshot(EDS, { x: '1' })))));
    s.receive({ typeUrl: EDS, resourceNamesUnsubscribe: ['x'] });
    expect(s.respond(snapshot(EDS, { x: '1' }))).toBeUndefined();
    expect(s.status().pending).toBe(false);
  });

  it('rejects a request for another type', () => {
    const result = server().receive({ typeUrl: LDS });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TypeUrlMismatch);
  });

  it('reports its state for /debug/syncz', () => {
    const s = server();
    s.receive({ typeUrl: CDS, resourceNamesSubscribe: ['a', 'b'] });
    expect(s.status()).toMatchObject({
      variant: 'delta',
      wildcard: false,
      subscribedNames: 2,
      pending: true,
    });
    s.respond(snapshot(CDS, { a: '1' }));
    expect(s.status()).toMatchObject({ pending: false, lastSentNonce: 'n1', synced: false });
  });
});

describe('Delta server: answering a known set of changed names', () => {
  it('sends only the named resources whose version changed, and removals among them', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['a', 'b', 'c'] });
    const first = must(s.respond(snapshot(EDS, { a: '1', b: '1', c: '1' })));
    s.receive(ackOf(first));
    const next = snapshot(EDS, { a: '2', b: '2' });
    // b changed too, but only a and c are named: b waits for a full respond.
    const r = must(s.respondChanged(next, ['a', 'c', 'unsubscribed']));
    expect(sent(r)).toEqual({ a: '2' });
    expect(r.removedResources).toEqual(['c']);
    expect(s.respondChanged(next, ['a', 'c'])).toBeUndefined();
    expect(sent(s.respond(next))).toEqual({ b: '2' });
  });

  it('falls back to a full answer while a subscription change is owed', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNamesSubscribe: ['a'] });
    const first = must(s.respond(snapshot(EDS, { a: '1', b: '1' })));
    s.receive({ ...ackOf(first), resourceNamesSubscribe: ['b'] });
    expect(sent(s.respondChanged(snapshot(EDS, { a: '2', b: '1' }), ['a']))).toEqual({ a: '2', b: '1' });
  });
});
