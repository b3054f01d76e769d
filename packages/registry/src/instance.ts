// Normalization of InstanceSpec to Instance: one place decides defaults and validity, so every backend
// stores and emits the same shape and equality (used to tell "updated" from "unchanged") is exact.
import { RegistryError } from './errors.js';
import type { Health, Instance, InstanceSpec, Protocol } from './types.js';

const PROTOCOLS: ReadonlySet<string> = new Set<Protocol>(['http', 'grpc', 'dubbo', 'tcp']);
const HEALTHS: ReadonlySet<string> = new Set<Health>(['healthy', 'unhealthy', 'draining']);
export const DEFAULT_WEIGHT = 100;
const MAX_WEIGHT = 2 ** 31 - 1;

function sortedRecord(r: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!r) return out;
  for (const k of Object.keys(r).sort()) {
    const v = r[k];
    if (typeof v !== 'string')
      throw new RegistryError('REG_ERR_INVALID_INSTANCE', `value of "${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

/** Validates and fills defaults; throws REG_ERR_INVALID_INSTANCE naming the field, value and limit. */
export function normalizeInstance(spec: InstanceSpec): Instance {
  const bad = (msg: string): never => {
    throw new RegistryError('REG_ERR_INVALID_INSTANCE', msg);
  };
  if (typeof spec.service !== 'string' || spec.service === '') bad('service must be a non-empty string');
  if (spec.service.includes('/')) bad(`service "${spec.service}" must not contain "/"`);
  if (typeof spec.address !== 'string' || spec.address === '') bad('address must be a non-empty string');
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535)
    bad(`port ${spec.port} not in 1..65535`);
  const id = spec.id ?? `${spec.address}:${spec.port}`;
  if (id === '' || id.includes('/')) bad(`id "${id}" must be non-empty and must not contain "/"`);
  const protocol = spec.protocol ?? 'tcp';
  if (!PROTOCOLS.has(protocol)) bad(`protocol "${protocol}" not one of http, grpc, dubbo, tcp`);
  const weight = spec.weight ?? DEFAULT_WEIGHT;
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT)
    bad(`weight ${weight} not in 1..${MAX_WEIGHT}`);
  const health = spec.health ?? 'healthy';
  if (!HEALTHS.has(health)) bad(`health "${health}" not one of healthy, unhealthy, draining`);
  return {
    id,
    service: spec.service,
    address: spec.address,
    port: spec.port,
    protocol,
    weight,
    health,
    labels: sortedRecord(spec.labels),
    application: spec.application ?? spec.service,
    interfaces: [...(spec.interfaces ?? [])].sort(),
    metadata: sortedRecord(spec.metadata),
  };
}

/** Parses a stored/transmitted JSON value back into an Instance (validating it). */
export function instanceFromJSON(value: unknown): Instance {
  if (typeof value !== 'object' || value === null) {
    throw new RegistryError('REG_ERR_PROTOCOL', 'instance record is not an object');
  }
  return normalizeInstance(value as InstanceSpec);
}

function recordEqual(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Structural equality of two normalized instances (a re-register with identical data is no change). */
export function instanceEqual(a: Instance, b: Instance): boolean {
  return (
    a.id === b.id &&
    a.service === b.service &&
    a.address === b.address &&
    a.port === b.port &&
    a.protocol === b.protocol &&
    a.weight === b.weight &&
    a.health === b.health &&
    a.application === b.application &&
    a.interfaces.length === b.interfaces.length &&
    a.interfaces.every((x, i) => x === b.interfaces[i]) &&
    recordEqual(a.labels, b.labels) &&
    recordEqual(a.metadata, b.metadata)
  );
}

export function byId(a: Instance, b: Instance): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
