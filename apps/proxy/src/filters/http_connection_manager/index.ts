import type { envoy } from '@strait/xds';
import { unpackAny } from '../../config/any.js';
import { registerNetworkFilter } from '../registry.js';
import { HCM_NAME, HCM_TYPE, translateHcm } from './config.js';
import { HttpConnectionManager } from './filter.js';

export function setup(): void {
  registerNetworkFilter({
    kind: 'http_connection_manager',
    names: [HCM_NAME],
    typeNames: [HCM_TYPE],
    serverFirst: false,
    translate: (typed, issues, path) => {
      const cfg =
        unpackAny<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>(
          typed,
          [HCM_TYPE],
          issues,
          path,
        );
      return cfg ? translateHcm(cfg, issues, path) : undefined;
    },
    create: (config, ctx, listener) => new HttpConnectionManager(config, ctx, listener),
  });
}
