import { EventStreamParser } from '@envhub/schema';
import { ServerConnection } from '@jupyterlab/services';

import { EnvhubRequestError } from './client';
import { requestServerExtension } from './serverExtensionClient';
import { IMaterialsDiff, IMaterialsEntry, MaterialsPullEvent } from './tokens';

/** One request to this server's materials API (see requestServerExtension). */
export const requestMaterials = (
  settings: ServerConnection.ISettings,
  endPoint: string,
  init: RequestInit = {}
): Promise<Response> =>
  requestServerExtension(settings, 'materials', endPoint, init);

/**
 * The materials entries of this server, each with its state (the server fetches upstream first).
 */
export async function getMaterials(
  settings: ServerConnection.ISettings
): Promise<IMaterialsEntry[]> {
  const response = await requestMaterials(settings, '');
  return ((await response.json()) as { materials: IMaterialsEntry[] })
    .materials;
}

/**
 * Pull one entry and report every event of its stream.
 *
 * @param backup keep the folder as a backup and clone afresh ("backup and resync").
 * @returns the final event: `finished` or `error`.
 * @throws {EnvhubRequestError} when the server refuses before streaming (e.g. 409, a pull
 *   runs), or the stream ends without a final event.
 */
export async function pullMaterials(
  settings: ServerConnection.ISettings,
  index: number,
  backup: boolean,
  onEvent: (event: MaterialsPullEvent) => void
): Promise<MaterialsPullEvent> {
  const response = await requestMaterials(
    settings,
    `${index}/pull${backup ? '?backup=1' : ''}`,
    { method: 'POST', headers: { Accept: 'text/event-stream' } }
  );
  const parser = new EventStreamParser();
  let final: MaterialsPullEvent | null = null;
  const take = (values: unknown[]): void => {
    for (const event of values.filter(isPullEvent)) {
      if (final || event.index !== index) {
        continue;
      }
      onEvent(event);
      if (event.phase !== 'syncing') {
        final = event;
      }
    }
  };
  try {
    if (response.body) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        take(parser.push(decoder.decode(value, { stream: true })));
      }
      take(parser.push(decoder.decode()));
    } else {
      take(parser.push(await response.text()));
    }
  } catch (reason) {
    throw new EnvhubRequestError(
      0,
      'network_error',
      `The pull stream broke off: ${describe(reason)}`
    );
  }
  take(parser.end());
  if (!final) {
    throw new EnvhubRequestError(
      response.status,
      'stream_ended',
      'The pull stream ended before the pull finished; refresh to see where it stands.'
    );
  }
  return final;
}

/**
 * Put the upstream version of one file of an entry back, keeping the user's copy beside it.
 *
 * @param file relative to the entry's folder.
 */
export async function restoreMaterial(
  settings: ServerConnection.ISettings,
  index: number,
  file: string
): Promise<{ restored: string; keptAs: string | null }> {
  const response = await requestMaterials(settings, `${index}/restore`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ file })
  });
  return response.json();
}

/**
 * The unified diff of the upstream version of one file of an entry (as last pulled)
 * against the user's file.
 *
 * @param file relative to the entry's folder.
 */
export async function diffMaterial(
  settings: ServerConnection.ISettings,
  index: number,
  file: string
): Promise<IMaterialsDiff> {
  const response = await requestMaterials(
    settings,
    `${index}/diff?file=${encodeURIComponent(file)}`
  );
  return response.json();
}

function isPullEvent(value: unknown): value is MaterialsPullEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    'phase' in value &&
    typeof (value as { index?: unknown }).index === 'number'
  );
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
