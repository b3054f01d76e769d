// What the user sees: progress lines while the mesh starts, one line per second while traffic flows,
// and a per-phase table at the end. Pure string building; the caller decides where it goes.
import type { TallySummary } from './stats.js';

export interface PhaseReport {
  name: string;
  v1: number;
  v2: number;
  /** Seconds from the start of traffic. */
  startedAtS: number;
  http: TallySummary;
  dubbo: TallySummary;
}

const pct = (part: number, whole: number): string =>
  whole === 0 ? '   -' : `${Math.round((100 * part) / whole)}%`.padStart(4);

function versions(s: TallySummary): string {
  const v1 = s.byVersion['v1'] ?? 0;
  const v2 = s.byVersion['v2'] ?? 0;
  const other = s.ok - v1 - v2;
  return `v1 ${pct(v1, s.ok)} v2 ${pct(v2, s.ok)}${other > 0 ? ` ?${other}` : ''}`;
}

function protocol(label: string, unit: string, s: TallySummary, seconds: number): string {
  const rate = `${Math.round(s.requests / seconds)}${unit}`.padStart(6);
  const ok = `${s.successRate.toFixed(1)}%`.padStart(6);
  const p99 = `${s.p99Ms.toFixed(1)}ms`.padStart(9);
  const errors = Object.entries(s.errors)
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  return `${label} ${rate} ok ${ok} p99${p99}  ${versions(s)}${errors ? `  errors: ${errors}` : ''}`;
}

/** Width of one protocol's cells in a live line (without error counts), so the header lines up. */
const PROTOCOL_WIDTH = 51;

export const LIVE_HEADER = `  time split  │ ${'HTTP (reviews)'.padEnd(PROTOCOL_WIDTH)} │ Dubbo (GreetingService)\n`;

/** One line per window: rate, success rate, p99 and the version split for both protocols. */
export function windowLine(
  elapsedS: number,
  phase: string,
  http: TallySummary,
  dubbo: TallySummary,
  seconds: number,
): string {
  return `${`${Math.round(elapsedS)}s`.padStart(6)} ${phase.padEnd(6)} │ ${protocol('http', '/s', http, seconds)} │ ${protocol('dubbo', '/s', dubbo, seconds)}\n`;
}

function row(cells: string[], widths: number[]): string {
  return `${`  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd()}\n`;
}

/** The end-of-run table: per phase and protocol, requests, failures, p99 and who answered. */
export function summaryTable(
  phases: readonly PhaseReport[],
  total: { http: TallySummary; dubbo: TallySummary },
) {
  const widths = [8, 6, 9, 7, 9, 17];
  let out = row(['phase', 'proto', 'requests', 'failed', 'p99', 'answered by'], widths);
  const add = (name: string, proto: string, s: TallySummary): void => {
    out += row(
      [
        name,
        proto,
        String(s.requests),
        String(s.failed),
        `${s.p99Ms.toFixed(1)} ms`,
        `v1 ${s.byVersion['v1'] ?? 0}, v2 ${s.byVersion['v2'] ?? 0}`,
      ],
      widths,
    );
  };
  for (const p of phases) {
    add(p.name, 'http', p.http);
    add('', 'dubbo', p.dubbo);
  }
  add('total', 'http', total.http);
  add('', 'dubbo', total.dubbo);
  return out;
}
