export {
  createTestNetns,
  type NetnsExecOptions,
  requireRoot,
  sweepStaleNamespaces,
  type TestNetns,
  type TestNetnsOptions,
  waitForLine,
  withTestNetns,
} from './netns.js';
