// The reflection root over Envoy's messages (src/gen/descriptor.json, made by scripts/generate.mjs).
// Loaded once, lazily: only bootstrap loading, Any unpacking of extension types @strait/xds does not
// generate, and /config_dump need it; the request path never does.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

let root: protobuf.Root | undefined;

export function reflectionRoot(): protobuf.Root {
  if (!root) {
    const json = JSON.parse(readFileSync(new URL('../gen/descriptor.json', import.meta.url), 'utf8'));
    root = protobuf.Root.fromJSON(json);
    root.resolveAll();
  }
  return root;
}

export function lookupType(name: string): protobuf.Type | undefined {
  try {
    return reflectionRoot().lookupType(name);
  } catch {
    return undefined;
  }
}
