export * from './errors.js';
export * from './kinds/index.js';
