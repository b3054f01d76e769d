// Istio duration strings ("1.5s", "100ms", "1m") to protobuf Duration. The config validator has
// already checked the format; an unparsable value yields undefined and the field is left unset.
import type { google } from '@strait/xds';

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

export function durationMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === text.length && end > 0 ? total : undefined;
}

export function toDuration(ms: number): google.protobuf.Duration.$Properties {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function duration(text: string | undefined): google.protobuf.Duration.$Properties | undefined {
  const ms = durationMs(text);
  return ms === undefined ? undefined : toDuration(ms);
}

/** Istio's percent (a double in [0,100]) as Envoy's FractionalPercent per million. */
export function fractionalPercent(value: number | undefined): { numerator: number; denominator: number } {
  return { numerator: Math.round((value ?? 100) * 10_000), denominator: 2 /* MILLION */ };
}
