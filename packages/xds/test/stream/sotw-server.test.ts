import { describe, expect, it } from 'vitest';
import {
  type RequestResult,
  type SotwResponse,
  SotwServerState,
  XdsStreamErrorCode,
} from '../../src/stream/index.js';
import { CDS, contentOf, EDS, LDS, nonces, RDS, resourceName, snapshot } from './helpers.js';

function server(typeUrl: string = LDS, limits = {}) {
  return new SotwServerState({ typeUrl, nonce: nonces(), limits });
}

function names(response: SotwResponse | undefined): string[] {
  return (response?.resources ?? []).map((r) => resourceName(r) ?? '?');
}

function kind(result: RequestResult): string {
  return result.kind;
}

function ack(response: SotwResponse, resourceNames: string[] = []) {
  return {
    typeUrl: response.typeUrl,
    versionInfo: response.versionInfo,
    responseNonce: response.nonce,
    resourceNames,
  };
}

describe('SotW server: initial request and wildcard', () => {
  it('classifies the first request for a type as initial and owes a response', () => {
    const s = server();
    const result = s.receive({ typeUrl: LDS, resourceNames: [] });
    expect(result.kind).toBe('initial');
    expect(result.kind !== 'invalid' && result.mustRespond).toBe(true);
  });

  it('sends nothing before the client asked for the type', () => {
    expect(server().respond(snapshot(LDS, { a: '1' }))).toBeUndefined();
  });

  it('treats an empty first LDS request as a legacy wildcard and sends every listener', () => {
    const s = server();
    s.receive({ typeUrl: LDS });
    expect(s.wildcard).toBe(true);
    expect(names(s.respond(snapshot(LDS, { b: '1', a: '1' })))).toEqual(['a', 'b']);
  });

  it('wildcard LDS subscription receives new listeners', () => {
    const s = server();
    s.receive({ typeUrl: LDS });
    const first = s.respond(snapshot(LDS, { a: '1' }));
    if (!first) throw new Error('expected a response');
    s.receive(ack(first));
    const second = s.respond(snapshot(LDS, { a: '1', b: '1' }));
    expect(names(second)).toEqual(['a', 'b']);
    expect(second?.versionInfo).not.toBe(first.versionInfo);
  });

  it('keeps sending the full state of the world for CDS, unchanged clusters included', () => {
    const s = server(CDS);
    s.receive({ typeUrl: CDS });
    const first = s.respond(snapshot(CDS, { a: '1', b: '1' }));
    if (!first) throw new Error('expected a response');
    s.receive(ack(first));
    const second = s.respond(snapshot(CDS, { a: '1', b: '2' }));
    expect(names(second)).toEqual(['a', 'b']);
    expect(second?.resources.map(contentOf)).toEqual(['1', '2']);
  });

  it('explicit "*" with a name keeps the wildcard and adds the name', () => {
    const s = server();
    s.receive({ typeUrl: LDS });
    const r = s.respond(snapshot(LDS, { a: '1' }));
    if (!r) throw new Error('expected a response');
    const result = s.receive(ack(r, ['*', 'x']));
    expect(kind(result)).toBe('subscription-change');
    expect(s.wildcard).toBe(true);
    expect(s.subscribedNames()).toEqual(['x']);
  });

  it('a list naming resources without "*" ends the wildcard', () => {
    const s = server();
    s.receive({ typeUrl: LDS, resourceNames: ['*', 'a'] });
    const r = s.respond(snapshot(LDS, { a: '1', b: '1' }));
    if (!r) throw new Error('expected a response');
    expect(names(r)).toEqual(['a', 'b']);
    const result = s.receive(ack(r, ['a']));
    expect(result.kind !== 'invalid' && result.change).toMatchObject({
      wildcardBefore: true,
      wildcard: false,
    });
    expect(names(s.respond(snapshot(LDS, { a: '1', b: '1' })))).toEqual(['a']);
  });

  it('an empty list after explicit names unsubscribes everything instead of meaning wildcard', () => {
    const s = server();
    s.receive({ typeUrl: LDS, resourceNames: ['a'] });
    const r = s.respond(snapshot(LDS, { a: '1', b: '1' }));
    if (!r) throw new Error('expected a response');
    s.receive(ack(r, []));
    expect(s.wildcard).toBe(false);
    const after = s.respond(snapshot(LDS, { a: '1', b: '1' }));
    expect(after?.resources).toEqual([]);
  });

  it('an empty first request for RDS is not a wildcard', () => {
    const s = server(RDS);
    s.receive({ typeUrl: RDS });
    expect(s.wildcard).toBe(false);
    expect(s.respond(snapshot(RDS, { r: '1' }))?.resources).toEqual([]);
  });

  it('"*" is an ordinary name for EDS', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['*'] });
    expect(s.wildcard).toBe(false);
    expect(s.subscribedNames()).toEqual(['*']);
  });
});

describe('SotW server: ACK, NACK and versions', () => {
  it('an ACK records the version the client applied and owes nothing', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r = s.respond(snapshot(EDS, { c: '1' }));
    if (!r) throw new Error('expected a response');
    const result = s.receive(ack(r, ['c']));
    expect(result).toMatchObject({
      kind: 'ack',
      mustRespond: false,
      answers: { nonce: 'n1', accepted: true },
    });
    expect(s.status()).toMatchObject({ lastAckedVersion: r.versionInfo, lastAckedNonce: 'n1', synced: true });
  });

  it('does not resend when the subscribed resources did not change', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r = s.respond(snapshot(EDS, { c: '1' }));
    if (!r) throw new Error('expected a response');
    s.receive(ack(r, ['c']));
    expect(s.respond(snapshot(EDS, { c: '1' }))).toBeUndefined();
  });

  it('does not send when only resources the client did not subscribe to change', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r = s.respond(snapshot(EDS, { c: '1', d: '1' }));
    if (!r) throw new Error('expected a response');
    s.receive(ack(r, ['c']));
    expect(s.respond(snapshot(EDS, { c: '1', d: '2' }))).toBeUndefined();
  });

  it('sends a new version with a new nonce when a subscribed resource changes', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r1 = s.respond(snapshot(EDS, { c: '1' }));
    if (!r1) throw new Error('expected a response');
    s.receive(ack(r1, ['c']));
    const r2 = s.respond(snapshot(EDS, { c: '2' }));
    expect(r2?.nonce).toBe('n2');
    expect(r2?.versionInfo).not.toBe(r1.versionInfo);
  });

  it('recognises a NACK by error_detail, and NACK keeps the last acked version', () => {
    const s = server();
    s.receive({ typeUrl: LDS });
    const r1 = s.respond(snapshot(LDS, { a: '1' }));
    if (!r1) throw new Error('expected a response');
    s.receive(ack(r1));
    const r2 = s.respond(snapshot(LDS, { a: '2' }));
    if (!r2) throw new Error('expected a response');
    const result = s.receive({
      typeUrl: LDS,
      versionInfo: r1.versionInfo,
      responseNonce: r2.nonce,
      errorDetail: { code: 3, message: 'a: bad' },
    });
    expect(result).toMatchObject({ kind: 'nack', versionInfo: r1.versionInfo, answers: { accepted: false } });
    expect(s.status()).toMatchObject({
      lastAckedVersion: r1.versionInfo,
      lastNack: { nonce: r2.nonce, rejectedVersion: r2.versionInfo, message: 'a: bad' },
      synced: false,
    });
  });

  it('treats an error_detail with default fields as a NACK: presence is what counts', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r = s.respond(snapshot(EDS, { c: '1' }));
    if (!r) throw new Error('expected a response');
    const result = s.receive({ ...ack(r, ['c']), versionInfo: '', errorDetail: {} });
    expect(result.kind).toBe('nack');
  });

  it('does not push the rejected version again after a NACK, but pushes the next one', () => {
    const s = server();
    s.receive({ typeUrl: LDS });
    const r1 = s.respond(snapshot(LDS, { a: 'bad' }));
    if (!r1) throw new Error('expected a response');
    s.receive({ typeUrl: LDS, versionInfo: '', responseNonce: r1.nonce, errorDetail: { message: 'no' } });
    expect(s.respond(snapshot(LDS, { a: 'bad' }))).toBeUndefined();
    expect(names(s.respond(snapshot(LDS, { a: 'good' })))).toEqual(['a']);
  });

  it('a NACK that also changes the names owes a response', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r = s.respond(snapshot(EDS, { c: '1', d: '1' }));
    if (!r) throw new Error('expected a response');
    const result = s.receive({ ...ack(r, ['c', 'd']), versionInfo: '', errorDetail: { message: 'x' } });
    expect(result).toMatchObject({ kind: 'nack', mustRespond: true, change: { added: ['d'] } });
  });

  it('versions are per type: each state hashes only its own resources', () => {
    const l = server(LDS);
    const c = server(CDS);
    l.receive({ typeUrl: LDS });
    c.receive({ typeUrl: CDS });
    const rl = l.respond(snapshot(LDS, { a: '1' }));
    const rc = c.respond(snapshot(CDS, { a: '1' }));
    expect(rl?.versionInfo).toBe(rc?.versionInfo);
    l.receive(ack(rl as SotwResponse));
    expect(l.respond(snapshot(LDS, { a: '1' }))).toBeUndefined();
  });
});

describe('SotW server: nonces and stale requests', () => {
  it('ignores a request whose response_nonce is stale', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r1 = s.respond(snapshot(EDS, { c: '1' }));
    if (!r1) throw new Error('expected a response');
    s.respond(snapshot(EDS, { c: '2' })); // n2 goes out before the client answered n1
    const result = s.receive({ ...ack(r1, ['c', 'd']) });
    expect(result).toMatchObject({ kind: 'stale', mustRespond: false });
    expect(s.subscribedNames()).toEqual(['c']);
    expect(s.status().lastAckedNonce).toBeUndefined();
  });

  it('ignores a NACK carrying a stale nonce', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r1 = s.respond(snapshot(EDS, { c: '1' }));
    s.respond(snapshot(EDS, { c: '2' }));
    const result = s.receive({ ...ack(r1 as SotwResponse, ['c']), errorDetail: { message: 'old' } });
    expect(result.kind).toBe('stale');
    expect(s.status().lastNack).toBeUndefined();
  });

  it('treats a nonce that was never sent on this stream as stale', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    expect(s.receive({ typeUrl: EDS, resourceNames: ['d'], responseNonce: 'other' }).kind).toBe('stale');
  });

  it('a request without nonce after a response was sent is stale: the client had not seen it', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    s.respond(snapshot(EDS, { c: '1' }));
    expect(s.receive({ typeUrl: EDS, resourceNames: ['c', 'd'] }).kind).toBe('stale');
  });

  it('picks up a subscription change lost to a stale nonce from the next ACK, which restates the names', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r1 = s.respond(snapshot(EDS, { c: '1', d: '1' }));
    if (!r1) throw new Error('expected a response');
    const r2 = s.respond(snapshot(EDS, { c: '2', d: '1' }));
    if (!r2) throw new Error('expected a response');
    expect(s.receive(ack(r1, ['c', 'd'])).kind).toBe('stale');
    const result = s.receive(ack(r2, ['c', 'd']));
    expect(result).toMatchObject({
      kind: 'subscription-change',
      change: { added: ['d'] },
      answers: { accepted: true },
    });
    expect(names(s.respond(snapshot(EDS, { c: '2', d: '1' })))).toEqual(['c', 'd']);
  });

  it('a changed list before any response is a subscription change', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const result = s.receive({ typeUrl: EDS, resourceNames: ['c', 'd'] });
    expect(result).toMatchObject({ kind: 'subscription-change', change: { added: ['d'], removed: [] } });
  });

  it('a repeated request that changes nothing is unchanged', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    expect(s.receive({ typeUrl: EDS, resourceNames: ['c'] }).kind).toBe('unchanged');
  });

  it('does not check the nonce of the first request: nonces do not survive a reconnect', () => {
    const s = server(EDS);
    const result = s.receive({
      typeUrl: EDS,
      resourceNames: ['c'],
      responseNonce: 'old-stream-7',
      versionInfo: 'v9',
    });
    expect(result.kind).toBe('initial');
    expect(s.initialClientVersion).toBe('v9');
  });
});

describe('SotW server: subscription changes', () => {
  it('a changed resource_names list is a subscription change that resends newly requested resources', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r1 = s.respond(snapshot(EDS, { c: '1', d: '1' }));
    if (!r1) throw new Error('expected a response');
    const result = s.receive(ack(r1, ['c', 'd']));
    expect(result).toMatchObject({
      kind: 'subscription-change',
      mustRespond: true,
      answers: { nonce: r1.nonce, accepted: true },
      change: { added: ['d'], removed: [] },
    });
    expect(names(s.respond(snapshot(EDS, { c: '1', d: '1' })))).toEqual(['c', 'd']);
  });

  it('unsubscribing in SotW is a request without the name', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c', 'd'] });
    const r1 = s.respond(snapshot(EDS, { c: '1', d: '1' }));
    if (!r1) throw new Error('expected a response');
    const result = s.receive(ack(r1, ['c']));
    expect(result).toMatchObject({ kind: 'subscription-change', change: { added: [], removed: ['d'] } });
    expect(names(s.respond(snapshot(EDS, { c: '1', d: '1' })))).toEqual(['c']);
  });

  it('answers a subscription change even when the new name does not exist yet', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const r1 = s.respond(snapshot(EDS, { c: '1' }));
    if (!r1) throw new Error('expected a response');
    s.receive(ack(r1, ['c', 'ghost']));
    expect(names(s.respond(snapshot(EDS, { c: '1' })))).toEqual(['c']);
  });

  it('sends a requested resource that springs into existence later', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['late'] });
    const r1 = s.respond(snapshot(EDS, {}));
    if (!r1) throw new Error('expected a response');
    s.receive(ack(r1, ['late']));
    expect(s.respond(snapshot(EDS, {}))).toBeUndefined();
    expect(names(s.respond(snapshot(EDS, { late: '1' })))).toEqual(['late']);
  });

  it('always answers the first request of a reconnect, even if the client has that version', () => {
    const first = server();
    first.receive({ typeUrl: LDS });
    const r = first.respond(snapshot(LDS, { a: '1' }));
    const again = server();
    again.receive({ typeUrl: LDS, versionInfo: r?.versionInfo ?? '' });
    expect(again.respond(snapshot(LDS, { a: '1' }))?.versionInfo).toBe(r?.versionInfo);
  });
});

describe('SotW server: limits and invalid input', () => {
  it('rejects a type_url that is not its own and keeps its state', () => {
    const s = server(EDS);
    const result = s.receive({ typeUrl: CDS, resourceNames: ['c'] });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TypeUrlMismatch);
    expect(s.subscribedNames()).toEqual([]);
  });

  it('rejects more resource names than the limit with a typed error and keeps the previous subscription', () => {
    const s = server(EDS, { maxResourceNamesPerType: 2 });
    s.receive({ typeUrl: EDS, resourceNames: ['a'] });
    const result = s.receive({ typeUrl: EDS, resourceNames: ['a', 'b', 'c'] });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TooManyResourceNames);
    expect(result.kind === 'invalid' && result.error.detail).toMatchObject({ count: 3, limit: 2 });
    expect(s.subscribedNames()).toEqual(['a']);
  });

  it('rejects an empty or overlong resource name', () => {
    const s = server(EDS, { maxResourceNameLength: 5 });
    const empty = s.receive({ typeUrl: EDS, resourceNames: [''] });
    expect(empty.kind === 'invalid' && empty.error.code).toBe(XdsStreamErrorCode.InvalidResourceName);
    const long = s.receive({ typeUrl: EDS, resourceNames: ['abcdef'] });
    expect(long.kind === 'invalid' && long.error.code).toBe(XdsStreamErrorCode.InvalidResourceName);
  });

  it('accepts a request without type_url (non-aggregated stream)', () => {
    expect(server(EDS).receive({ resourceNames: ['c'] }).kind).toBe('initial');
  });
});

describe('SotW server: responses and syncz', () => {
  it('orders resources by name and derives the version from (name, version) pairs', () => {
    const a = server(CDS);
    const b = server(CDS);
    a.receive({ typeUrl: CDS });
    b.receive({ typeUrl: CDS });
    const ra = a.respond(snapshot(CDS, { z: '1', y: '1' }));
    const rb = b.respond(snapshot(CDS, { y: '1', z: '1' }));
    expect(names(ra)).toEqual(['y', 'z']);
    expect(ra?.versionInfo).toBe(rb?.versionInfo);
    expect(ra?.typeUrl).toBe(CDS);
  });

  it('reports pending, sent and acked state for /debug/syncz', () => {
    const s = server(CDS);
    s.receive({ typeUrl: CDS });
    expect(s.status()).toMatchObject({ variant: 'sotw', pending: true, synced: false, wildcard: true });
    const r = s.respond(snapshot(CDS, { a: '1' }));
    expect(s.status()).toMatchObject({
      pending: false,
      lastSentNonce: 'n1',
      lastSentVersion: r?.versionInfo,
    });
  });
});

describe('SotW server: error_detail without a response to answer', () => {
  it('is not a NACK when the request carries no nonce', () => {
    const s = server(EDS);
    s.receive({ typeUrl: EDS, resourceNames: ['c'] });
    const result = s.receive({ typeUrl: EDS, resourceNames: ['c'], errorDetail: { message: 'x' } });
    expect(result.kind).toBe('unchanged');
    expect(s.status().lastNack).toBeUndefined();
  });
});
