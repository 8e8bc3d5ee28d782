/** Shared jest settings for the Node packages: TypeScript sources run directly as ES modules. */
export default {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: { rootDir: '.', types: ['node', 'jest'] } }
    ]
  }
};
