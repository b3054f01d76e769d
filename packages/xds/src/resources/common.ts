// Small pieces every builder uses. Builders are pure: same input, same output, no clock, I/O or state.

import type { Address, ConfigSource, Duration } from '../codec/types.js';
import { XdsInvalidArgumentError } from '../errors.js';
import { envoy } from '../gen/protos.js';

/** A Duration from milliseconds (Envoy takes seconds + nanos; config speaks in ms). */
export function durationMs(ms: number, path = 'duration'): Duration {
  if (!Number.isFinite(ms) || ms < 0)
    throw new XdsInvalidArgumentError(path, `must be a non-negative number of ms, got ${ms}`);
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos === 0 ? { seconds } : { seconds, nanos };
}

/** Resources come over the same ADS stream that carried the one naming them (Istio's choice). */
export function adsConfigSource(): ConfigSource {
  return { ads: {}, resourceApiVersion: envoy.config.core.v3.ApiVersion.V3 };
}

export function socketAddress(address: string, port: number, path = 'port'): Address {
  checkPort(port, path);
  return { socketAddress: { address, portValue: port } };
}

export function checkPort(port: number, path: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new XdsInvalidArgumentError(path, `port must be an integer in 1..65535, got ${port}`);
  }
}

export function checkNonEmpty(value: string, path: string): void {
  if (typeof value !== 'string' || value === '')
    throw new XdsInvalidArgumentError(path, 'must be a non-empty string');
}

export function checkWeight(weight: number, path: string, min = 0): void {
  if (!Number.isInteger(weight) || weight < min || weight > 0xffffffff) {
    throw new XdsInvalidArgumentError(path, `weight must be an integer in ${min}..4294967295, got ${weight}`);
  }
}
