import type { envoy } from '@strait/xds';
import { unpackAny } from '../../config/any.js';
import { registerNetworkFilter } from '../registry.js';
import { DUBBO_PROXY_NAME, DUBBO_PROXY_TYPE, translateDubboProxy } from './config.js';
import { DubboProxyFilter } from './filter.js';

export function setup(): void {
  registerNetworkFilter({
    kind: 'dubbo_proxy',
    names: [DUBBO_PROXY_NAME],
    typeNames: [DUBBO_PROXY_TYPE],
    // Client-first, but pooled consumer connections may sit idle before their first call: a chain made
    // only of dubbo_proxy must not be closed by the sniffing timeout, so it skips sniffing like TCP.
    serverFirst: true,
    translate: (typed, issues, path) => {
      const cfg = unpackAny<envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy>(
        typed,
        [DUBBO_PROXY_TYPE],
        issues,
        path,
      );
      return cfg ? translateDubboProxy(cfg, issues, path) : undefined;
    },
    create: (config, ctx, listener) => new DubboProxyFilter(config, ctx, listener),
  });
}
