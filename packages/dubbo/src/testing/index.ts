// @strait/dubbo/testing: helpers for tests that run real Apache Dubbo next to Strait. Not for
// production code; it spawns JVMs and needs the workspace's interop/ folder.
export {
  freeLoopbackPort,
  JAVA_PEER_INTERFACE,
  type JavaPeer,
  javaConsumerExpected,
  javaConsumerResults,
  javaPeerAvailable,
  javaPeerCommand,
  javaPeerService,
  killJavaPeers,
  sleepRequest,
  startJavaPeer,
} from './java-peer.js';
