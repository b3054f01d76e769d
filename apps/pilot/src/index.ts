// @strait/pilot: the control plane, embeddable (tests, `strait lab`) as well as the strait-pilot bin.
export { ARCHITECTURES, type Architecture, type PilotOptions, parseArgs, usage } from './cli.js';
export { isPilotError, PilotError, type PilotErrorCode, PilotErrorCodes } from './errors.js';
export { createLogger, type Logger, silentLogger } from './log.js';
export { METRICS, type MetricName, Metrics } from './metrics.js';
export { type ProxyInfo, proxyFromNode } from './model/proxy.js';
export { buildPushContext, type PushContext, type PushContextInput } from './model/push-context.js';
export { Pilot, type PilotStartOptions } from './pilot.js';
