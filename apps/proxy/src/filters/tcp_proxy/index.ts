import type { envoy } from '@strait/xds';
import { unpackAny } from '../../config/any.js';
import { registerNetworkFilter } from '../registry.js';
import { TCP_PROXY_NAME, TCP_PROXY_TYPE, translateTcpProxy } from './config.js';
import { TcpProxy } from './filter.js';

export function setup(): void {
  registerNetworkFilter({
    kind: 'tcp_proxy',
    names: [TCP_PROXY_NAME],
    typeNames: [TCP_PROXY_TYPE],
    serverFirst: true,
    translate: (typed, issues, path) => {
      const cfg = unpackAny<envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy>(
        typed,
        [TCP_PROXY_TYPE],
        issues,
        path,
      );
      return cfg ? translateTcpProxy(cfg, issues, path) : undefined;
    },
    create: (config, ctx) => new TcpProxy(config, ctx),
  });
}
