import { describe, expect, it } from 'vitest';
import {
  countParameters,
  DubboBadDescriptorError,
  descriptorToJavaClass,
  parseDescriptor,
  toDescriptor,
} from '../../src/index.js';

describe('JVM descriptors', () => {
  it('splits parameters, including arrays and object types', () => {
    const d = 'Ljava/lang/String;I[J[[Ljava/util/Map;Z';
    expect(parseDescriptor(d)).toEqual(['Ljava/lang/String;', 'I', '[J', '[[Ljava/util/Map;', 'Z']);
    expect(countParameters(d)).toBe(5);
    expect(parseDescriptor('')).toEqual([]);
  });

  it('converts to and from Java class names', () => {
    expect(toDescriptor(['java.lang.String', 'int', 'long[]', 'java.util.List'])).toBe(
      'Ljava/lang/String;I[JLjava/util/List;',
    );
    expect(descriptorToJavaClass('Ljava/lang/String;')).toBe('java.lang.String');
    expect(descriptorToJavaClass('J')).toBe('long');
    expect(descriptorToJavaClass('[Ljava/lang/String;')).toBe('[string');
  });

  it.each(['L;', 'Ljava/lang/String', 'Q', 'V', '['])('rejects %j', (d) => {
    expect(() => parseDescriptor(d)).toThrow(DubboBadDescriptorError);
    expect(() => countParameters(d)).toThrow(DubboBadDescriptorError);
  });
});
