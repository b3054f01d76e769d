// The client state and the server state talking through an in-memory ADS loop, every message
// encoded and decoded with the generated Envoy codecs, across several snapshot changes, a NACK and
// a reconnect. The "proxy" here subscribes EDS to the clusters CDS gives it, as Envoy does.
import { describe, expect, it } from 'vitest';
import { envoy } from '../../src/gen/protos.js';
import {
  DeltaClientState,
  DeltaServerConnection,
  type ResourceSnapshot,
  SotwClientState,
  SotwServerConnection,
} from '../../src/stream/index.js';
import { CDS, EDS, FakeProxy, LDS, nonces, snapshot } from './helpers.js';

const wire = envoy.service.discovery.v3;
const TYPES: string[] = [LDS, CDS, EDS];

interface World {
  [LDS]: Record<string, string>;
  [CDS]: Record<string, string>;
  [EDS]: Record<string, string>;
}

type ClientState = SotwClientState | DeltaClientState;

abstract class Harness<C extends ClientState> {
  readonly proxies = new Map(TYPES.map((t) => [t, new FakeProxy()]));
  protected snapshots = new Map<string, ResourceSnapshot>();
  protected toServer: Uint8Array[] = [];
  protected toClient: Uint8Array[] = [];
  /** Resources carried by server responses since the last `resetCounters`, by type. */
  readonly carried = new Map<string, number>();
  readonly nacks: string[] = [];
  abstract readonly clients: Map<string, C>;

  setWorld(world: World): void {
    for (const t of TYPES) this.snapshots.set(t, snapshot(t, world[t as keyof World]));
  }

  resetCounters(): void {
    this.carried.clear();
    this.nacks.length = 0;
  }

  view(): Record<string, Record<string, string>> {
    return Object.fromEntries(TYPES.map((t) => [t, this.proxies.get(t)?.view() ?? {}]));
  }

  protected snap(typeUrl: string): ResourceSnapshot {
    return this.snapshots.get(typeUrl) ?? new Map();
  }

  /** Keeps EDS subscribed to exactly the clusters the proxy runs, as Envoy does. */
  protected followClusters(): void {
    const eds = this.clients.get(EDS);
    if (!eds) return;
    const clusters = Object.keys(this.proxies.get(CDS)?.view() ?? {});
    const subscribed = new Set(this.subscribedEds());
    const add = clusters.filter((c) => !subscribed.has(c));
    const drop = [...subscribed].filter((c) => !clusters.includes(c));
    for (const result of [eds.subscribe(add), eds.unsubscribe(drop)]) {
      if (!result.ok) throw result.error;
      for (const name of result.dropped) this.proxies.get(EDS)?.applied.delete(name);
      if (result.request) this.sendRequest(result.request);
    }
  }

  protected abstract subscribedEds(): string[];
  protected abstract sendRequest(request: object): void;
  abstract connect(): void;
  abstract push(): void;
  abstract run(): void;
}

class SotwHarness extends Harness<SotwClientState> {
  server = new SotwServerConnection({ nonce: nonces('s') });
  readonly clients = new Map(TYPES.map((t) => [t, new SotwClientState({ typeUrl: t })]));
  private edsNames = new Set<string>();

  protected subscribedEds(): string[] {
    return [...this.edsNames];
  }

  protected sendRequest(request: envoy.service.discovery.v3.DiscoveryRequest.$Properties): void {
    if (request.typeUrl === EDS) this.edsNames = new Set(request.resourceNames ?? []);
    this.toServer.push(wire.DiscoveryRequest.encode(request).finish());
  }

  connect(): void {
    this.server = new SotwServerConnection({ nonce: nonces('r') });
    this.toServer = [];
    this.toClient = [];
    for (const client of this.clients.values()) {
      client.disconnect();
      const first = client.initialRequest();
      if (first) this.sendRequest(first);
    }
  }

  push(): void {
    for (const t of this.server.typeUrls()) this.respond(t);
  }

  private respond(typeUrl: string): void {
    const response = this.server.respond(typeUrl, this.snap(typeUrl));
    if (response) this.toClient.push(wire.DiscoveryResponse.encode(response).finish());
  }

  run(): void {
    for (let i = 0; i < 1000 && (this.toServer.length > 0 || this.toClient.length > 0); i += 1) {
      const bytes = this.toServer.shift();
      if (bytes) {
        const request = wire.DiscoveryRequest.decode(bytes);
        const outcome = this.server.receive(request);
        if (outcome.kind === 'invalid') throw outcome.error;
        if (outcome.mustRespond) this.respond(outcome.typeUrl);
        continue;
      }
      const response = wire.DiscoveryResponse.decode(this.toClient.shift() as Uint8Array);
      this.carried.set(
        response.typeUrl,
        (this.carried.get(response.typeUrl) ?? 0) + response.resources.length,
      );
      const client = this.clients.get(response.typeUrl);
      const proxy = this.proxies.get(response.typeUrl);
      if (!client || !proxy) throw new Error(`no client for ${response.typeUrl}`);
      const result = client.handleResponse(response, proxy.apply);
      if (result.kind === 'invalid') throw result.error;
      if (result.kind === 'nack') this.nacks.push(response.typeUrl);
      this.sendRequest(result.request);
      if (response.typeUrl === CDS) this.followClusters();
    }
  }
}

class DeltaHarness extends Harness<DeltaClientState> {
  server = new DeltaServerConnection({ nonce: nonces('s') });
  readonly clients = new Map(TYPES.map((t) => [t, new DeltaClientState({ typeUrl: t })]));
  private edsNames = new Set<string>();

  protected subscribedEds(): string[] {
    return [...this.edsNames];
  }

  protected sendRequest(request: envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties): void {
    if (request.typeUrl === EDS) {
      for (const n of request.resourceNamesSubscribe ?? []) this.edsNames.add(n);
      for (const n of request.resourceNamesUnsubscribe ?? []) this.edsNames.delete(n);
    }
    this.toServer.push(wire.DeltaDiscoveryRequest.encode(request).finish());
  }

  connect(): void {
    this.server = new DeltaServerConnection({ nonce: nonces('r') });
    this.toServer = [];
    this.toClient = [];
    for (const client of this.clients.values()) {
      client.disconnect();
      const first = client.initialRequest();
      if (first) this.sendRequest(first);
    }
  }

  push(): void {
    for (const t of this.server.typeUrls()) this.respond(t);
  }

  private respond(typeUrl: string): void {
    const response = this.server.respond(typeUrl, this.snap(typeUrl));
    if (response) this.toClient.push(wire.DeltaDiscoveryResponse.encode(response).finish());
  }

  run(): void {
    for (let i = 0; i < 1000 && (this.toServer.length > 0 || this.toClient.length > 0); i += 1) {
      const bytes = this.toServer.shift();
      if (bytes) {
        const outcome = this.server.receive(wire.DeltaDiscoveryRequest.decode(bytes));
        if (outcome.kind === 'invalid') throw outcome.error;
        if (outcome.mustRespond) this.respond(outcome.typeUrl);
        continue;
      }
      const response = wire.DeltaDiscoveryResponse.decode(this.toClient.shift() as Uint8Array);
      this.carried.set(
        response.typeUrl,
        (this.carried.get(response.typeUrl) ?? 0) + response.resources.length,
      );
      const client = this.clients.get(response.typeUrl);
      const proxy = this.proxies.get(response.typeUrl);
      if (!client || !proxy) throw new Error(`no client for ${response.typeUrl}`);
      const result = client.handleResponse(response, proxy.apply);
      if (result.kind === 'invalid') throw result.error;
      if (result.kind === 'nack') this.nacks.push(response.typeUrl);
      this.sendRequest(result.request);
      if (response.typeUrl === CDS) this.followClusters();
    }
  }
}

const v1: World = {
  [LDS]: { in: '1', out: '1' },
  [CDS]: { c1: '1', c2: '1' },
  [EDS]: { c1: 'e1', c2: 'e1', unused: 'e1' },
};
const v2: World = {
  [LDS]: { in: '1', out: '1' },
  [CDS]: { c1: '1', c2: '1', c3: '1' },
  [EDS]: { c1: 'e1', c2: 'e2', c3: 'e1', unused: 'e1' },
};
const v3: World = {
  [LDS]: { in: '2', out: '1' },
  [CDS]: { c2: '1', c3: '1' },
  [EDS]: { c2: 'e2', c3: 'e1', unused: 'e1' },
};
const v4bad: World = { ...v3, [LDS]: { in: 'bad', out: '1' } };
const v5: World = { ...v3, [LDS]: { in: '3', out: '1' } };

function expected(world: World, edsFor: string[]) {
  return {
    [LDS]: world[LDS],
    [CDS]: world[CDS],
    [EDS]: Object.fromEntries(edsFor.map((c) => [c, world[EDS][c] as string])),
  };
}

for (const [variant, make] of [
  ['SotW', () => new SotwHarness()],
  ['Delta', () => new DeltaHarness()],
] as const) {
  describe(`${variant} client and server in an in-memory ADS loop`, () => {
    it('converges over snapshot changes, a NACK and a reconnect', () => {
      const h: SotwHarness | DeltaHarness = make();
      h.proxies.get(LDS)?.reject.add('bad');

      h.setWorld(v1);
      h.connect();
      h.run();
      expect(h.view()).toEqual(expected(v1, ['c1', 'c2']));

      // A new cluster: CDS brings it, the proxy subscribes its endpoints, EDS brings those.
      h.setWorld(v2);
      h.push();
      h.run();
      expect(h.view()).toEqual(expected(v2, ['c1', 'c2', 'c3']));

      // A cluster goes away and a listener changes.
      h.setWorld(v3);
      h.push();
      h.run();
      expect(h.view()).toEqual(expected(v3, ['c2', 'c3']));

      // A listener the proxy rejects: NACK, the last good listener stays, no resend loop.
      h.resetCounters();
      h.setWorld(v4bad);
      h.push();
      h.run();
      expect(h.nacks).toEqual([LDS]);
      expect(h.view()).toEqual(expected(v3, ['c2', 'c3']));
      h.push();
      h.run();
      expect(h.nacks).toEqual([LDS]);

      h.setWorld(v5);
      h.push();
      h.run();
      expect(h.view()).toEqual(expected(v5, ['c2', 'c3']));

      // Every type is acknowledged at the version last sent.
      for (const row of h.server.status()) expect(row).toMatchObject({ synced: true, pending: false });

      // The stream breaks and comes back to a fresh server state; nothing changed meanwhile.
      h.resetCounters();
      h.connect();
      h.run();
      expect(h.view()).toEqual(expected(v5, ['c2', 'c3']));
      expect(h.nacks).toEqual([]);
      if (variant === 'Delta') {
        // initial_resource_versions told the server everything: nothing needed resending.
        expect([...h.carried.values()].reduce((a, b) => a + b, 0)).toBe(0);
      } else {
        // SotW resends the full state on a new stream; the client's apply sees no change.
        expect(h.carried.get(CDS)).toBe(2);
      }

      // After the reconnect, changes flow as before.
      h.setWorld({ ...v5, [EDS]: { ...v5[EDS], c2: 'e3' } });
      h.push();
      h.run();
      expect(h.view()[EDS]).toEqual({ c2: 'e3', c3: 'e1' });
    });

    it('sends only what changed when the world changes a little', () => {
      const h: SotwHarness | DeltaHarness = make();
      const many: World = {
        [LDS]: { l: '1' },
        [CDS]: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, '1'])),
        [EDS]: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, 'e1'])),
      };
      h.setWorld(many);
      h.connect();
      h.run();
      h.resetCounters();
      h.setWorld({ ...many, [CDS]: { ...many[CDS], c7: '2' } });
      h.push();
      h.run();
      // Delta carries the one changed cluster; SotW must carry all 50 (CDS is full state).
      expect(h.carried.get(CDS)).toBe(variant === 'Delta' ? 1 : 50);
      expect(h.carried.get(LDS) ?? 0).toBe(0);
      expect(h.carried.get(EDS) ?? 0).toBe(0);
    });
  });
}
