import { createHash } from 'node:crypto';

/** BinderHub's escaping: every character outside [a-z0-9] becomes `-` and its two hex digits. */
export function escapeName(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map(byte => {
      const ch = String.fromCharCode(byte);
      return /[a-z0-9]/.test(ch)
        ? ch
        : '-' + byte.toString(16).padStart(2, '0');
    })
    .join('');
}

const MAX_IMAGE_REPOSITORY = 200;

/** `<prefix><escaped repo URL>-<sha6>:<commit>`, BinderHub's image name scheme for the git provider. */
export function imageName(
  prefix: string,
  repoUrl: string,
  commit: string
): string {
  const hash = createHash('sha256').update(repoUrl).digest('hex').slice(0, 6);
  const slug = escapeName(repoUrl).slice(
    0,
    MAX_IMAGE_REPOSITORY - prefix.length - hash.length - 1
  );
  return `${prefix}${slug}-${hash}:${commit}`.toLowerCase();
}

/** The Docker volume holding one server's home directory. */
export function homeVolumeName(
  prefix: string,
  owner: string,
  server: string
): string {
  return `${prefix}-home-${escapeName(owner)}--${server}`;
}

/** The Docker volume behind the shared volume `name` (a mount's `source`). */
export function sharedVolumeName(prefix: string, name: string): string {
  return `${prefix}-volume-${name}`;
}

/** The Docker volume through which `user`'s servers reach the WebDAV volume `name`, with their credential. */
export function webdavVolumeName(
  prefix: string,
  name: string,
  user: string
): string {
  return `${prefix}-webdav-${name}--${escapeName(user)}`;
}

/** The Docker volume holding class `id`'s course directory (its instructors' nbgrader files). */
export function courseVolumeName(prefix: string, id: string): string {
  return `${prefix}-class-${id}`;
}

/** A JupyterHub 6 server name derived from a repository URL, e.g. `…/Data_Course.git` → `data-course`. */
export function serverNameFromRepo(repoUrl: string): string {
  const last = new URL(repoUrl).pathname.split('/').filter(Boolean).pop() ?? '';
  const name = last
    .replace(/\.git$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  return name || 'server';
}
