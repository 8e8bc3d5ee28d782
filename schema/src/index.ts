/**
 * The envhub environment spec: its JSON Schema, the types generated from it, validation with a
 * message per field, BinderHub's repository providers and the launch-URL codec.
 */

/** A spec as a client may send it: everything but `repo` is optional. */
export type {
  EnvironmentSpec,
  Material,
  Mount,
  Collaborators,
  Resources
} from './generated/environment.js';
/** A spec as {@link validateSpec} returns it: every field with a default is filled in. */
export type { ValidEnvironmentSpec } from './generated/validEnvironment.js';
export {
  environmentSchema,
  volumeMembersSchema,
  classBodySchema,
  credentialBodySchema,
  exchangeUploadSchema,
  validateSpec,
  validateVolumeMembers,
  validateClassBody,
  validateCredentialBody,
  validateUpload,
  type BodyValidation,
  type MembersValidation,
  type Validation
} from './validate.js';
export type { VolumeMember, VolumeMembers } from './generated/volumeMembers.js';
export type { CredentialBody } from './generated/credentialBody.js';
export {
  parseProviderSpec,
  gitProviderPath,
  providers,
  type ProviderSpec
} from './providers.js';
export {
  choiceOf,
  choicesOf,
  encodeScalar,
  launchQuery,
  editQuery,
  launchPath,
  specFromLaunch,
  launchParameterNames,
  launchParameters,
  encodeQueryPart,
  listItemCodecs,
  rootSchema,
  valueAt,
  setValueAt,
  type ListItemCodec,
  type FieldError,
  type LaunchParameter,
  type SchemaNode,
  type LaunchQuery,
  type LaunchCandidate
} from './launchUrl.js';
export { parseLaunch, specDiff, type SpecDifference } from './launchSpec.js';
export {
  badgeSnippets,
  buildWarnings,
  escapeHtml,
  isFinalEvent,
  type BadgeSnippets,
  type BuildView,
  type EffectiveResources,
  type ErrorBody,
  type ErrorCode,
  type LaunchEvent,
  type LaunchPhase,
  type CredentialView,
  type PublicAccessView,
  type ServerView,
  type ServerUsageView,
  type SessionView,
  type VolumeView
} from './api.js';
export { EventStreamParser } from './eventStream.js';
export { encodeMount, decodeMount } from './mounts.js';
export {
  encodeMaterial,
  decodeMaterial,
  materialPath,
  materialPathProblem,
  repositoryName,
  readGitPull,
  gitPullPath,
  isGitPullPath,
  type GitPull
} from './materials.js';
export {
  CLASS_ID_PATTERN,
  type AssignmentView,
  type ClassBody,
  type ClassMembers,
  type ClassRole,
  type ClassView,
  type ExchangeUpload,
  type FeedbackView,
  type FileEntry,
  type FilesBody,
  type SubmissionView
} from './classes.js';
