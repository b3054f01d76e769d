import { describe, expect, it } from 'vitest';
import { DeltaServerConnection, SotwServerConnection, XdsStreamErrorCode } from '../../src/stream/index.js';
import { CDS, EDS, LDS, nonces, RDS, snapshot } from './helpers.js';

describe('server connection (ADS)', () => {
  it('creates a state per type on its first request and routes later requests to it', () => {
    const c = new SotwServerConnection({ nonce: nonces() });
    expect(c.receive({ typeUrl: CDS }).kind).toBe('initial');
    expect(c.receive({ typeUrl: EDS, resourceNames: ['x'] }).kind).toBe('initial');
    expect(c.typeUrls()).toEqual([CDS, EDS]);
    expect(c.receive({ typeUrl: EDS, resourceNames: ['x', 'y'] }).kind).toBe('subscription-change');
  });

  it('keeps versions and nonces independent per type, from one nonce sequence', () => {
    const c = new SotwServerConnection({ nonce: nonces() });
    c.receive({ typeUrl: CDS });
    c.receive({ typeUrl: LDS });
    const cds = c.respond(CDS, snapshot(CDS, { a: '1' }));
    const lds = c.respond(LDS, snapshot(LDS, { l: '1' }));
    expect([cds?.nonce, lds?.nonce]).toEqual(['n1', 'n2']);
    // An LDS ACK carrying the LDS nonce does not touch CDS, which still waits for its own ACK.
    c.receive({ typeUrl: LDS, versionInfo: lds?.versionInfo ?? '', responseNonce: 'n2' });
    const rows = Object.fromEntries(c.status().map((row) => [row.typeUrl, row.synced]));
    expect(rows).toEqual({ [CDS]: false, [LDS]: true });
  });

  it('requires type_url on an aggregated stream', () => {
    const result = new SotwServerConnection().receive({ resourceNames: ['x'] });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.MissingTypeUrl);
  });

  it('bounds the number of types per connection with a typed error; existing types keep working', () => {
    const c = new DeltaServerConnection({ limits: { maxTypesPerConnection: 2 } });
    c.receive({ typeUrl: CDS });
    c.receive({ typeUrl: EDS, resourceNamesSubscribe: ['x'] });
    const result = c.receive({ typeUrl: RDS, resourceNamesSubscribe: ['r'] });
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TooManyTypes);
    expect(result.kind === 'invalid' && result.error.detail).toMatchObject({ limit: 2 });
    expect(c.typeUrls()).toEqual([CDS, EDS]);
    expect(c.receive({ typeUrl: EDS, resourceNamesSubscribe: ['y'] }).kind).toBe('subscription-change');
  });

  it('sends nothing for a type the client never requested', () => {
    const c = new DeltaServerConnection();
    expect(c.respond(LDS, snapshot(LDS, { l: '1' }))).toBeUndefined();
  });

  it('lets the caller choose which types take wildcard meaning', () => {
    const c = new SotwServerConnection({ wildcard: () => true });
    c.receive({ typeUrl: EDS });
    expect(c.state(EDS)?.wildcard).toBe(true);
  });

  it('uses a random per-connection nonce prefix by default, so old-stream nonces never match', () => {
    const a = new SotwServerConnection();
    const b = new SotwServerConnection();
    a.receive({ typeUrl: CDS });
    b.receive({ typeUrl: CDS });
    const na = a.respond(CDS, snapshot(CDS, {}))?.nonce;
    const nb = b.respond(CDS, snapshot(CDS, {}))?.nonce;
    expect(na).not.toBe(nb);
  });
});
