import base from '../jest.config.base.js';

/** `unit` runs anywhere; `integration` needs the hub that deploy/test.sh starts. */
export default {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts']
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts']
    }
  ]
};
