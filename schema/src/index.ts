/**
 * The envhub environment spec: its JSON Schema, the types generated from it, validation with a
 * message per field, BinderHub's repository providers and the launch-URL codec.
 */

/** A spec as a client may send it: everything but `repo` is optional. */
export type { EnvironmentSpec, Mount, Collaborators, Resources } from './generated/environment.js';
/** A spec as {@link validateSpec} returns it: every field with a default is filled in. */
export type { ValidEnvironmentSpec } from './generated/validEnvironment.js';
export { environmentSchema, validateSpec, type FieldError, type Validation } from './validate.js';
export { parseProviderSpec, gitProviderPath, providers, type ProviderSpec } from './providers.js';
export {
  launchQuery,
  launchPath,
  specFromLaunch,
  parseLaunch,
  specDiff,
  launchParameterNames,
  launchParameters,
  encodeQueryPart,
  type LaunchParameter,
  type SchemaNode,
  type LaunchQuery,
  type LaunchCandidate,
  type SpecDifference
} from './launchUrl.js';
export {
  badgeSnippets,
  escapeHtml,
  type BadgeSnippets,
  type EffectiveResources,
  type ServerView,
  type VolumeMember,
  type VolumeMembers,
  type VolumeView
} from './api.js';
export { EventStreamParser } from './eventStream.js';
export { encodeMount, decodeMount } from './mounts.js';
