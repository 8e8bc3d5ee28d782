/**
 * CSS classes of the environment panel, its sections and the views they share.
 */
export namespace CSS {
  export const panel = 'jp-envhub-panel';
  export const title = 'jp-envhub-title';
  export const status = 'jp-envhub-status';
  export const message = 'jp-envhub-message';
  export const error = 'jp-envhub-error';
  export const section = 'jp-envhub-section';
  export const group = 'jp-envhub-group';
  export const details = 'jp-envhub-details';
  export const server = 'jp-envhub-server';
  export const state = 'jp-envhub-state';
  export const repo = 'jp-envhub-repo';
  export const ref = 'jp-envhub-ref';
  export const commit = 'jp-envhub-commit';
  export const image = 'jp-envhub-image';
  export const built = 'jp-envhub-built';
  export const created = 'jp-envhub-created';
  export const resources = 'jp-envhub-resources';
  export const stops = 'jp-envhub-stops';
  export const mounts = 'jp-envhub-mounts';
  export const note = 'jp-envhub-note';
  export const collaborators = 'jp-envhub-collaborators';
  export const collaborator = 'jp-envhub-collaborator';
  export const remove = 'jp-envhub-remove';
  export const addForm = 'jp-envhub-add-collaborator';
  export const share = 'jp-envhub-share-links';
  export const publicAccess = 'jp-envhub-public-access';
  export const publicState = 'jp-envhub-public-state';
  export const visitors = 'jp-envhub-visitors';
  export const publicSession = 'jp-envhub-public-session';
  export const actions = 'jp-envhub-actions';
  export const copyItem = 'jp-envhub-copy-item';
  export const copy = 'jp-envhub-copy';
  export const materials = 'jp-envhub-materials';
  export const material = 'jp-envhub-material';
  export const materialState = 'jp-envhub-material-state';
  export const materialFiles = 'jp-envhub-material-files';
  export const materialFile = 'jp-envhub-material-file';
  export const pullLog = 'jp-envhub-pull-log';
  export const diff = 'jp-envhub-diff';
  export const diffAdded = 'jp-envhub-diff-added';
  export const diffRemoved = 'jp-envhub-diff-removed';
  export const diffHunk = 'jp-envhub-diff-hunk';
  export const classTitle = 'jp-envhub-class-title';
  export const classRole = 'jp-envhub-class-role';
  export const formgrader = 'jp-envhub-formgrader';
  export const assignments = 'jp-envhub-assignments';
  export const assignment = 'jp-envhub-assignment';
  export const assignmentName = 'jp-envhub-assignment-name';
  export const assignmentDue = 'jp-envhub-assignment-due';
  export const assignmentState = 'jp-envhub-assignment-state';
  export const assignmentCounts = 'jp-envhub-assignment-counts';
  export const receipt = 'jp-envhub-receipt';
  export const receiptFiles = 'jp-envhub-receipt-files';
}
