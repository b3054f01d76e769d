// @strait/kube-testing: a real kube-apiserver for other packages' tests. Private; never shipped.
export { KubeApiServer, type KubeApiServerOptions } from './apiserver.js';
export {
  ISTIO_API_VERSION,
  installCrds,
  installIstioCrds,
  installStraitCrds,
  istioCrdFile,
  readCrds,
  straitCrdFile,
} from './crds.js';
export { KubeTestingError, type KubeTestingErrorCode, KubeTestingErrorCodes } from './errors.js';
export { EtcdServer } from './etcd.js';
export {
  type ApiserverBinary,
  apiserverBinaryPath,
  type PrepareOptions,
  prepareApiserver,
} from './prepare.js';
export { freePort } from './process.js';
