/** The launch stream's events are a wire contract, declared once in the schema package. */
export {
  isFinalEvent as isFinal,
  type LaunchEvent as BuildEvent,
  type LaunchPhase as Phase
} from '@envhub/schema';
