export { envoy, google } from './gen/protos.js';
