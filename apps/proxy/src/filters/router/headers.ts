// Header mutations in Envoy's order: the most specific level (weighted cluster, route) is applied
// first for removal, and additions from route, virtual host, then route table.
import type { HeaderMutation } from '../../model/common.js';
import type { Headers } from '../../protocols/types.js';

export function applyMutations(h: Headers, remove: readonly string[], add: readonly HeaderMutation[]): void {
  for (const r of remove) delete h[r];
  for (const m of add) {
    const cur = h[m.name];
    switch (m.action) {
      case 'append':
        h[m.name] = cur === undefined ? m.value : [...(Array.isArray(cur) ? cur : [cur]), m.value];
        break;
      case 'add_if_absent':
        if (cur === undefined) h[m.name] = m.value;
        break;
      case 'overwrite_or_add':
        h[m.name] = m.value;
        break;
      case 'overwrite_if_exists':
        if (cur !== undefined) h[m.name] = m.value;
        break;
    }
  }
}
