export * from './weft-error.js';
export * from './codes.js';
