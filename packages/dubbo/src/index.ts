export * from './codec/index.js';
export * from './errors.js';
