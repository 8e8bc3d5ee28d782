import { randomBytes } from 'node:crypto';
import {
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  writeFile
} from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { FileEntry } from '@envhub/schema';
import { EnvhubError } from '../errors.js';

/** What one upload to the exchange may hold (the site configuration's `exchange`). */
export interface UploadLimits {
  maxFiles: number;
  /** Decoded bytes, all files together. */
  maxBytes: number;
}

/**
 * The exchange's files, in the service's data directory where no user's server reaches: one
 * folder per release, submission and feedback, written whole or not at all.
 */
export class ClassFiles {
  constructor(
    private readonly root: string,
    private readonly limits: UploadLimits
  ) {}

  /** The folder of `parts` (class id, then names envhub chose or checked: never a user's path). */
  private dir(parts: string[]): string {
    return join(this.root, ...parts);
  }

  /**
   * The decoded files of an upload within the limits, or a 413 saying which limit. Paths were
   * checked by the upload schema (relative, no `.` or `..` part).
   */
  decode(files: FileEntry[]): {
    files: Array<[string, Buffer]>;
    bytes: number;
  } {
    if (files.length > this.limits.maxFiles)
      throw new EnvhubError(
        413,
        'body_too_large',
        `${files.length} files were sent and this hub takes at most ${this.limits.maxFiles} at once; leave out what is not part of the work (data can be read from a volume)`
      );
    const decoded = files.map(({ path, content }): [string, Buffer] => [
      path,
      Buffer.from(content, 'base64')
    ]);
    const bytes = decoded.reduce((sum, [, data]) => sum + data.length, 0);
    if (bytes > this.limits.maxBytes)
      throw new EnvhubError(
        413,
        'body_too_large',
        `the files come to ${bytes} bytes and this hub takes at most ${this.limits.maxBytes} at once; leave out large outputs and data`
      );
    return { files: decoded, bytes };
  }

  /** Replaces the folder of `parts` with `files`: written beside it, then swapped in. */
  async write(parts: string[], files: Array<[string, Buffer]>): Promise<void> {
    const target = this.dir(parts);
    const staging = `${target}.new-${randomBytes(6).toString('hex')}`;
    try {
      for (const [path, data] of files) {
        const file = join(staging, path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, data, { mode: 0o600 });
      }
      await mkdir(staging, { recursive: true });
      const old = `${target}.old-${randomBytes(6).toString('hex')}`;
      await rename(target, old).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await mkdir(dirname(target), { recursive: true });
      await rename(staging, target);
      await rm(old, { recursive: true, force: true });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The files of the folder of `parts` (none when it does not exist), paths sorted. */
  async read(parts: string[]): Promise<FileEntry[]> {
    const top = this.dir(parts);
    const entries = await readdir(top, {
      recursive: true,
      withFileTypes: true
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    const files = entries
      .filter(entry => entry.isFile())
      .map(entry => join(entry.parentPath, entry.name))
      .sort();
    return Promise.all(
      files.map(async file => ({
        path: relative(top, file).split('\\').join('/'),
        content: (await readFile(file)).toString('base64')
      }))
    );
  }

  /** Removes the folder of `parts` and all below it. */
  async remove(parts: string[]): Promise<void> {
    await rm(this.dir(parts), { recursive: true, force: true });
  }
}
