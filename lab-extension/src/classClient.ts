import { ServerConnection } from '@jupyterlab/services';

import { requestServerExtension } from './serverExtensionClient';
import { IClassListing, ISubmissionView } from './tokens';

/** One request to this server's class API (see requestServerExtension). */
export const requestClass = (
  settings: ServerConnection.ISettings,
  endPoint: string,
  init: RequestInit = {}
): Promise<Response> =>
  requestServerExtension(settings, 'class', endPoint, init);

/**
 * The class this server was launched for, its assignments with what this server holds of
 * them, and whether the environment has nbgrader.
 */
export async function getClass(
  settings: ServerConnection.ISettings
): Promise<IClassListing> {
  const response = await requestClass(settings, '');
  return response.json();
}

/** `assignments/<a>/<action>`, the assignment id escaped. */
function assignmentPath(assignment: string, action: string): string {
  return `assignments/${encodeURIComponent(assignment)}/${action}`;
}

/**
 * Fetch a released assignment into this server.
 *
 * @returns its folder, relative to the server's root.
 */
export async function fetchAssignment(
  settings: ServerConnection.ISettings,
  assignment: string
): Promise<string> {
  const response = await requestClass(
    settings,
    assignmentPath(assignment, 'fetch'),
    { method: 'POST' }
  );
  return ((await response.json()) as { path: string }).path;
}

/**
 * Submit the fetched assignment.
 *
 * @returns the envhub service's receipt.
 */
export async function submitAssignment(
  settings: ServerConnection.ISettings,
  assignment: string
): Promise<ISubmissionView> {
  const response = await requestClass(
    settings,
    assignmentPath(assignment, 'submit'),
    { method: 'POST' }
  );
  return response.json();
}

/**
 * Fetch the released feedback of an assignment into this server.
 *
 * @returns the html file of each feedback, relative to the server's root.
 */
export async function fetchFeedback(
  settings: ServerConnection.ISettings,
  assignment: string
): Promise<string[]> {
  const response = await requestClass(
    settings,
    assignmentPath(assignment, 'feedback'),
    { method: 'POST' }
  );
  return ((await response.json()) as { paths: string[] }).paths;
}
