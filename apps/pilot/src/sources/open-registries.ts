// `--registry URL` → Registry handles through @strait/registry's openRegistry() (backends registered
// by its explicit setup()). A `#name` fragment names the registry for scale-out clusters
// (RegistryCluster.registry, matching a registry in the proxies' bootstrap); default: the scheme.
import { openRegistry, type Registry, setup } from '@strait/registry';
import { PilotError } from '../errors.js';

export interface OpenedRegistries {
  readonly list: Registry[];
  /** The name scale-out clusters give proxies for the (first) registry. */
  readonly name: string;
  close(): Promise<void>;
}

export function splitName(text: string): { url: string; name: string } {
  const hash = text.indexOf('#');
  const url = hash >= 0 ? text.slice(0, hash) : text;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? 'default';
  return { url, name: hash >= 0 && hash < text.length - 1 ? text.slice(hash + 1) : scheme };
}

export async function openRegistries(urls: readonly string[]): Promise<OpenedRegistries> {
  if (urls.length > 0) setup();
  const list: Registry[] = [];
  const close = async () => void (await Promise.all(list.map((r) => r.close())));
  try {
    for (const text of urls) {
      const { url } = splitName(text);
      try {
        list.push(await openRegistry(url));
      } catch (err) {
        throw new PilotError('PILOT_ERR_REGISTRY', `--registry ${text}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { list, name: urls[0] ? splitName(urls[0]).name : 'default', close };
}
