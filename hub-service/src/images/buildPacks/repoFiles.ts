import type { Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { EnvhubError } from '../../errors.js';

/** Configuration files are small; anything bigger is a mistake or an attack on the planner. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A repository problem the user can fix: names the file, the reason and the fix. */
export function invalidConfig(message: string): EnvhubError {
  return new EnvhubError(422, 'invalid_config', message);
}

/** A configuration that is valid elsewhere but cannot work on this hub. */
export function unsupportedConfig(message: string): EnvhubError {
  return new EnvhubError(422, 'unsupported_config', message);
}

/**
 * Read access to a checked-out repository by repo-relative POSIX paths. Symbolic links are
 * followed only while they stay inside the repository, so a link such as
 * `binder/requirements.txt -> /etc/shadow` can never pull a host file into a plan or an image.
 */
export class RepoFiles {
  private constructor(
    readonly dir: string,
    private readonly realRoot: string
  ) {}

  static async open(dir: string): Promise<RepoFiles> {
    return new RepoFiles(dir, await realpath(dir));
  }

  /**
   * `target` resolved against the repo-relative directory `fromDir`, as a normalised repo-relative
   * path ('' for the root), or null when it is absolute or climbs out of the repository.
   */
  static resolve(fromDir: string, target: string): string | null {
    if (
      posix.isAbsolute(target) ||
      target.includes('\\') ||
      target.includes('\0')
    )
      return null;
    const joined = posix
      .normalize(posix.join(fromDir || '.', target))
      .replace(/\/+$/, '');
    if (joined === '..' || joined.startsWith('../')) return null;
    return joined === '.' ? '' : joined;
  }

  private async locate(
    rel: string
  ): Promise<{ real: string; st: Stats } | null> {
    let real: string;
    try {
      real = await realpath(join(this.dir, rel));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw invalidConfig(
        `${rel} cannot be read (${code ?? 'unknown error'}); fix or remove it`
      );
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      throw invalidConfig(
        `${rel} is a symbolic link to a path outside the repository; envhub reads only files inside it: replace the link with the file itself`
      );
    }
    return { real, st: await stat(real) };
  }

  private async stats(rel: string): Promise<Stats | null> {
    return (await this.locate(rel))?.st ?? null;
  }

  async isFile(rel: string): Promise<boolean> {
    return (await this.stats(rel))?.isFile() ?? false;
  }

  async isDir(rel: string): Promise<boolean> {
    return (await this.stats(rel))?.isDirectory() ?? false;
  }

  /** Whether the file's owner may execute it (the bit git records, and the one jovyan needs). */
  async isExecutable(rel: string): Promise<boolean> {
    const st = await this.stats(rel);
    return st !== null && st.isFile() && (st.mode & 0o100) !== 0;
  }

  /** The text of a configuration file (UTF-8, byte-order mark dropped). */
  async readText(rel: string): Promise<string> {
    const found = await this.locate(rel);
    if (!found?.st.isFile())
      throw invalidConfig(`${rel} does not exist or is not a file`);
    const { real, st } = found;
    if (st.size > MAX_CONFIG_BYTES) {
      throw invalidConfig(
        `${rel} is ${st.size} bytes; configuration files over ${MAX_CONFIG_BYTES} bytes are refused: shorten it`
      );
    }
    const text = await readFile(real, 'utf8');
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  }
}
