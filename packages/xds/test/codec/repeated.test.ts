// Repeated-field byte helpers against the generated codec: what they build must decode as the
// generated encoder's output does, and what they find must be exactly the field's entries.
import { describe, expect, it } from 'vitest';
import {
  decodeRepeatedStrings,
  encodeRepeatedBytes,
  envoy,
  findRepeatedRun,
  google,
} from '../../src/index.js';

const D = envoy.service.discovery.v3;

describe('encodeRepeatedBytes', () => {
  it('builds the bytes the generated encoder writes for a repeated message field', () => {
    const anys = [0, 1, 300].map((n) => ({ type_url: 't', value: new Uint8Array(n).fill(7) }));
    const parts = anys.map((a) => google.protobuf.Any.encode(a).finish());
    const ours = encodeRepeatedBytes(2, parts);
    expect(Buffer.from(ours)).toEqual(Buffer.from(D.DiscoveryResponse.encode({ resources: anys }).finish()));
  });
});

describe('findRepeatedRun and decodeRepeatedStrings', () => {
  const names = Array.from({ length: 200 }, (_, i) => `outbound|80||svc-${i}.example`);

  it('finds the names of a request between its other fields and reads them back', () => {
    const bytes = D.DiscoveryRequest.encode({
      versionInfo: 'v1',
      node: { id: 'n' },
      resourceNames: names,
      typeUrl: 't',
      responseNonce: 'x',
    }).finish();
    const run = findRepeatedRun(bytes, 3);
    expect(run?.count).toBe(200);
    expect(decodeRepeatedStrings(bytes.subarray(run!.start, run!.end))).toEqual(names);
    // Without the run, the rest decodes to the same request minus its names.
    const rest = Buffer.concat([bytes.subarray(0, run!.start), bytes.subarray(run!.end)]);
    expect(D.DiscoveryRequest.decode(rest).responseNonce).toBe('x');
    expect(D.DiscoveryRequest.decode(rest).resourceNames).toEqual([]);
  });

  it('declines interleaved entries, absent fields and truncated messages', () => {
    const a = D.DiscoveryRequest.encode({ resourceNames: ['a'] }).finish();
    const b = D.DiscoveryRequest.encode({ typeUrl: 't' }).finish();
    expect(findRepeatedRun(Buffer.concat([a, b, a]), 3)).toBeUndefined();
    expect(findRepeatedRun(b, 3)).toBeUndefined();
    const full = D.DiscoveryRequest.encode({ resourceNames: names }).finish();
    expect(findRepeatedRun(full.subarray(0, full.length - 3), 3)).toBeUndefined();
  });

  it('names the entry that is not UTF-8', () => {
    const bytes = Buffer.from(D.DiscoveryRequest.encode({ resourceNames: ['ok', 'bad'] }).finish());
    bytes[bytes.indexOf(Buffer.from('bad'))] = 0xff;
    expect(() => decodeRepeatedStrings(bytes)).toThrow(/resource name 1 is not valid UTF-8/);
  });
});
