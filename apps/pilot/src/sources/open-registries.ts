// `--registry URL` → Registry instances. @strait/registry does not export openRegistry() yet; until it
// does, `embedded://NAME` opens an in-process registry (useful for `strait lab` and tests) and any
// other scheme is a clear error.
import { InProcessRegistry, MemoryStore, type Registry } from '@strait/registry';
import { PilotError } from '../errors.js';

export interface OpenedRegistries {
  readonly list: Registry[];
  /** The name scale-out clusters give proxies for the registry (first URL's `name` param or host). */
  readonly name: string;
  close(): Promise<void>;
}

export async function openRegistries(urls: readonly string[]): Promise<OpenedRegistries> {
  const list: Registry[] = [];
  let name = 'default';
  for (const [i, text] of urls.entries()) {
    const url = new URL(text);
    if (i === 0) name = url.searchParams.get('name') ?? (url.hostname || url.protocol.replace(':', ''));
    if (url.protocol === 'embedded:') {
      list.push(new InProcessRegistry(new MemoryStore()));
      continue;
    }
    throw new PilotError(
      'PILOT_ERR_REGISTRY',
      `--registry ${text}: scheme ${url.protocol} not supported by this build`,
    );
  }
  return { list, name, close: async () => void (await Promise.all(list.map((r) => r.close()))) };
}
