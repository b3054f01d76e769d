import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listConfigFiles, readConfigDirectory } from '../../src/index.js';
import { vsYaml } from '../helpers/objects.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strait-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readConfigDirectory', () => {
  it('reads *.yaml and *.yml recursively, sorted, skipping dot entries and other files', async () => {
    mkdirSync(join(dir, 'b/nested'), { recursive: true });
    mkdirSync(join(dir, '..data'));
    writeFileSync(join(dir, 'b/nested/z.yml'), vsYaml('z'));
    writeFileSync(join(dir, 'a.yaml'), `${vsYaml('a')}---\n${vsYaml('a2')}`);
    writeFileSync(join(dir, '..data/a.yaml'), vsYaml('dup'));
    writeFileSync(join(dir, 'notes.txt'), 'not config');
    expect(await listConfigFiles(dir)).toEqual([join(dir, 'a.yaml'), join(dir, 'b/nested/z.yml')]);
    const read = await readConfigDirectory(dir);
    expect(read.complete).toBe(true);
    expect(read.documents.map((d) => d.source)).toEqual([
      { file: 'a.yaml', index: 0, line: 1 },
      { file: 'a.yaml', index: 1, line: 10 },
      { file: 'b/nested/z.yml', index: 0, line: 1 },
    ]);
  });

  it('rejects files over the size limit without reading them', async () => {
    writeFileSync(join(dir, 'big.yaml'), vsYaml('big'));
    const read = await readConfigDirectory(dir, { maxFileBytes: 10 });
    expect(read.documents).toEqual([]);
    expect(read.unreadable).toEqual(['big.yaml']);
    expect(read.failures[0]?.errors[0]).toMatchObject({
      code: 'CFG_ERR_FILE_TOO_LARGE',
      message: expect.stringContaining('limit 10'),
    });
  });

  it('marks files with YAML errors unreadable so their objects are kept', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'a: [1\n');
    const read = await readConfigDirectory(dir);
    expect(read.unreadable).toEqual(['bad.yaml']);
  });

  it('reports a missing directory as incomplete, not as empty', async () => {
    const read = await readConfigDirectory(join(dir, 'missing'));
    expect(read.complete).toBe(false);
    expect(read.failures[0]?.errors[0]?.code).toBe('CFG_ERR_FILE_READ');
  });
});
