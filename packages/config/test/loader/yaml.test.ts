import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/index.js';

describe('parseYaml', () => {
  it('splits multi-document files and tags each with file, index and line', () => {
    const text = 'a: 1\n---\n# only a comment\n---\nb: 2\n';
    const { documents, failures } = parseYaml(text, 'cfg/x.yaml');
    expect(failures).toEqual([]);
    expect(documents).toEqual([
      { value: { a: 1 }, source: { file: 'cfg/x.yaml', index: 0, line: 1 } },
      { value: { b: 2 }, source: { file: 'cfg/x.yaml', index: 2, line: 5 } },
    ]);
  });

  it('reports a broken document with line and column, and keeps the others', () => {
    const text = 'a: 1\n---\nb: [1, 2\n---\nc: 3\n';
    const { documents, failures } = parseYaml(text, 'x.yaml');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.source.index).toBe(1);
    expect(failures[0]?.errors[0]).toMatchObject({
      code: 'CFG_ERR_YAML_PARSE',
      message: expect.stringMatching(/^line \d+, column \d+/),
    });
    expect(documents.map((d) => d.value)).toContainEqual({ a: 1 });
  });

  it('rejects duplicate keys, which would otherwise silently override', () => {
    const { failures } = parseYaml('a: 1\na: 2\n', 'x.yaml');
    expect(failures[0]?.errors[0]?.code).toBe('CFG_ERR_YAML_PARSE');
  });

  it('supports merge keys as Kubernetes YAML does', () => {
    const { documents } = parseYaml('base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n', 'x.yaml');
    expect(documents[0]?.value).toEqual({ base: { x: 1 }, derived: { x: 1, y: 2 } });
  });

  it('stops alias bombs instead of expanding them', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const { documents, failures } = parseYaml(text, 'bomb.yaml');
    expect(documents).toEqual([]);
    expect(failures[0]?.errors[0]?.code).toBe('CFG_ERR_YAML_PARSE');
  });
});
