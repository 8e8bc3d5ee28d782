export type { EnvironmentSpec } from './generated/environment.js';
export { environmentSchema, validateSpec, type FieldError, type Validation } from './validate.js';
export { parseProviderSpec, gitProviderPath, providers, type ProviderSpec } from './providers.js';
