// Loads proto/strait/registry/v1/registry.proto at run time with @grpc/proto-loader, and converts
// between the wire shapes and Instance. The wire types are declared here by hand (proto-loader output is
// untyped); the proto file stays the single source of truth for field numbers.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RegistryError } from '../errors.js';
import { instanceFromJSON } from '../instance.js';
import type { Instance } from '../types.js';

const PROTO_REL = 'strait/registry/v1/registry.proto';

/** Where the proto lives: copied into dist/ by the build for installed packages, else the repo's proto/. */
function protoRoot(): string {
  const candidates = [
    new URL('../proto/', import.meta.url), // dist/proto (installed package)
    new URL('../../../../proto/', import.meta.url), // repo root proto/ from src/server or dist/server
  ].map((u) => fileURLToPath(u));
  for (const c of candidates) if (existsSync(`${c}${PROTO_REL}`)) return c;
  throw new RegistryError('REG_ERR_STORAGE', `cannot find ${PROTO_REL} under ${candidates.join(', ')}`);
}

export interface WireInstance {
  id: string;
  service: string;
  address: string;
  port: number;
  protocol: string;
  weight: number;
  health: string;
  labels: Record<string, string>;
  application: string;
  interfaces: string[];
  metadata: Record<string, string>;
}

export type WatchType = 'SNAPSHOT' | 'DELTA' | 'RESYNC';

export interface WireWatchResponse {
  type: WatchType;
  service: string;
  revision: number;
  instances: WireInstance[];
  added: WireInstance[];
  updated: WireInstance[];
  removed: string[];
  reason: string;
}

export interface WireWatchRequest {
  subscribe?: { service: string; resumeRevision: number };
  unsubscribe?: { service: string };
}

let cached: { service: grpc.ServiceDefinition; client: grpc.ServiceClientConstructor } | undefined;

/** The Registry service definition (server side) and client constructor, loaded once per process. */
export function registryService(): {
  service: grpc.ServiceDefinition;
  client: grpc.ServiceClientConstructor;
} {
  if (cached) return cached;
  const def = protoLoader.loadSync(PROTO_REL, {
    includeDirs: [protoRoot()],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    strait: { registry: { v1: { Registry: grpc.ServiceClientConstructor } } };
  };
  const client = pkg.strait.registry.v1.Registry;
  const service = { ...client.service };
  // Watch fan-out encodes a message once and writes the same bytes to every subscriber: let a Buffer
  // pass through the serializer untouched.
  const watch = service['Watch'];
  if (watch) {
    const encode = watch.responseSerialize;
    service['Watch'] = {
      ...watch,
      responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : encode(v)),
    };
  }
  cached = { service, client };
  return cached;
}

export function encodeWatchResponse(msg: Partial<WireWatchResponse>): Buffer {
  const watch = registryService().service['Watch'];
  if (!watch) throw new RegistryError('REG_ERR_PROTOCOL', 'Watch method missing from the proto');
  return watch.responseSerialize(msg);
}

export function toWire(i: Instance): WireInstance {
  return {
    id: i.id,
    service: i.service,
    address: i.address,
    port: i.port,
    protocol: i.protocol,
    weight: i.weight,
    health: i.health,
    labels: { ...i.labels },
    application: i.application,
    interfaces: [...i.interfaces],
    metadata: { ...i.metadata },
  };
}

export function fromWire(w: WireInstance): Instance {
  return instanceFromJSON(w);
}

/** gRPC metadata key carrying a RegistryError code from server to client. */
export const ERROR_CODE_KEY = 'strait-registry-error';
