// The one wiring point (STYLE 7): every network filter and load balancer registers here. Imports have
// no side effects; setup() is idempotent and called by StraitProxy.start and by listener translation.
import { setup as setupDubboProxy } from './filters/dubbo_proxy/index.js';
import { setup as setupHcm } from './filters/http_connection_manager/index.js';
import { setup as setupTcpProxy } from './filters/tcp_proxy/index.js';
import { setup as setupLbs } from './upstream/lb/index.js';

let done = false;

export function setup(): void {
  if (done) return;
  done = true;
  setupHcm();
  setupTcpProxy();
  setupDubboProxy();
  setupLbs();
}
