// Multi-document YAML to untyped values, one per document, each tagged with file and document index.
// Parsing is separate from validation so callers (store, watcher, webhook) decide what to do with both.
import { parseAllDocuments } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import type { SourceRef } from '../kinds/common.js';
import type { ConfigRef } from '../validation/index.js';

export interface RawDocument {
  value: unknown;
  source: SourceRef;
}

/** A document (or file) that could not become a config object, with everything wrong with it. */
export interface Rejection extends ConfigRef {
  source: SourceRef;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

export interface ParseResult {
  documents: RawDocument[];
  /** Documents that are not valid YAML; their index still counts so later indexes match the file. */
  failures: Rejection[];
}

/**
 * Split `text` into documents. Empty documents (a lone `---`, comments only) are skipped but keep their
 * index. Aliases are expanded with the library's default limit, which stops "billion laughs" input.
 */
export function parseYaml(text: string, file: string): ParseResult {
  const documents: RawDocument[] = [];
  const failures: Rejection[] = [];
  const lineStarts = lineOffsets(text);
  const docs = parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    // The contents' start, not the document's: a document's range begins at its `---` marker.
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const source: SourceRef = { file, index, line: lineAt(lineStarts, start) };
    if (doc.errors.length > 0) {
      failures.push({
        source,
        errors: doc.errors.map((e) => ({
          code: 'CFG_ERR_YAML_PARSE' as const,
          severity: 'error' as const,
          path: '',
          message: e.linePos
            ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ${firstLine(e.message)}`
            : firstLine(e.message),
        })),
        warnings: [],
      });
      return;
    }
    try {
      const value: unknown = doc.toJS();
      // Comment-only documents and a trailing `---` decode to null: nothing to load.
      if (value === null || value === undefined) return;
      documents.push({ value, source });
    } catch (e) {
      // toJS throws on excessive alias expansion.
      failures.push({
        source,
        errors: [{ code: 'CFG_ERR_YAML_PARSE', severity: 'error', path: '', message: (e as Error).message }],
        warnings: [],
      });
    }
  });
  return { documents, failures };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function lineOffsets(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) out.push(i + 1);
  return out;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
