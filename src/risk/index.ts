export * from './assess.js';
export * from './failure-burst.js';
export * from './impossible-travel.js';
export * from './method-downgrade.js';
export * from './network.js';
export * from './new-device.js';
export * from './new-place.js';
export * from './severity.js';
export type * from './types.js';
