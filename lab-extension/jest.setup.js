// jsdom has no structuredClone (browsers and Node do); the spec code and @envhub/schema use it.
if (typeof globalThis.structuredClone !== 'function') {
  const v8 = require('node:v8');
  globalThis.structuredClone = value => v8.deserialize(v8.serialize(value));
}
