// Reading config files from disk: a directory tree of *.yaml / *.yml, in a stable (sorted) order so
// "first definition wins" for duplicates is deterministic across machines.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { parseYaml, type RawDocument, type Rejection } from './yaml.js';

export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 10_000;

export interface ReadOptions {
  /** Files above this size are rejected unread (CFG_ERR_FILE_TOO_LARGE). Default 4 MiB. */
  maxFileBytes?: number;
  /** Stop listing after this many files, so a mistaken --config-dir=/ cannot exhaust memory. */
  maxFiles?: number;
}

export interface ReadResult {
  documents: RawDocument[];
  failures: Rejection[];
  /** Every config file found, readable or not. */
  files: string[];
  /** Files that could not be read or parsed at all: their previous objects should stay in force. */
  unreadable: string[];
  /** False when the directory itself could not be listed: the result says nothing about what exists. */
  complete: boolean;
}

const CONFIG_FILE = /\.ya?ml$/i;

/**
 * Config file paths under `dir`, recursively, sorted. Entries starting with "." are skipped: Kubernetes
 * ConfigMap volumes hold every file twice (`..data/`, `..2024_01_01.../`) behind dot-named directories.
 */
export async function listConfigFiles(dir: string, maxFiles = DEFAULT_MAX_FILES): Promise<string[]> {
  const out: string[] = [];
  async function visit(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (out.length >= maxFiles) return;
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if ((e.isFile() || e.isSymbolicLink()) && CONFIG_FILE.test(e.name)) out.push(p);
    }
  }
  await visit(dir);
  return out;
}

export async function readConfigFiles(
  files: string[],
  options: ReadOptions = {},
  base?: string,
): Promise<ReadResult> {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const result: ReadResult = { documents: [], failures: [], files, unreadable: [], complete: true };
  for (const file of files) {
    const name = base ? relative(base, file) : file;
    const fail = (issue: ConfigIssue) => {
      result.failures.push({ source: { file: name, index: -1 }, errors: [issue], warnings: [] });
      result.unreadable.push(name);
    };
    let text: string;
    try {
      const info = await stat(file);
      if (info.size > maxBytes) {
        fail({
          code: 'CFG_ERR_FILE_TOO_LARGE',
          severity: 'error',
          path: '',
          message: `${name} is ${info.size} bytes, limit ${maxBytes}`,
        });
        continue;
      }
      text = await readFile(file, 'utf8');
    } catch (e) {
      fail({
        code: 'CFG_ERR_FILE_READ',
        severity: 'error',
        path: '',
        message: `${name}: ${(e as Error).message}`,
      });
      continue;
    }
    const parsed = parseYaml(text, name);
    result.documents.push(...parsed.documents);
    result.failures.push(...parsed.failures);
    // A file with any unparseable document is treated as unreadable as a whole: after a syntax error the
    // parser may have mis-split documents, so nothing defined in the file should be dropped because of it.
    if (parsed.failures.length > 0) result.unreadable.push(name);
  }
  return result;
}

/** Read every config file under `dir`. Source file names are relative to `dir`. */
export async function readConfigDirectory(dir: string, options: ReadOptions = {}): Promise<ReadResult> {
  try {
    const files = await listConfigFiles(dir, options.maxFiles);
    return await readConfigFiles(files, options, dir);
  } catch (e) {
    return {
      documents: [],
      failures: [
        {
          source: { file: dir, index: -1 },
          errors: [
            {
              code: 'CFG_ERR_FILE_READ',
              severity: 'error',
              path: '',
              message: `${dir}: ${(e as Error).message}`,
            },
          ],
          warnings: [],
        },
      ],
      files: [],
      unreadable: [],
      complete: false,
    };
  }
}
