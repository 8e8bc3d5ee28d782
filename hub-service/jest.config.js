import base from '../jest.config.base.js';

/**
 * `unit` runs anywhere; `integration` needs the hub that deploy/test.sh starts; `swarm` the swarm
 * and hub in swarm mode that deploy/test-swarm.sh starts.
 */
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
    },
    {
      ...base,
      displayName: 'swarm',
      testMatch: ['<rootDir>/test/swarm/**/*.test.ts']
    }
  ]
};
