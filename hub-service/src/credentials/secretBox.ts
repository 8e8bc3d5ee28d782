import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Encrypts secrets for the store with AES-256-GCM under a key kept in a file of its own, outside
 * the database: a copy of the database alone reveals no secret. Each secret is bound to what it
 * belongs to (`context`, e.g. user and host), so that a ciphertext moved to another row fails.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The box of the key in `path` (64 hex digits), created (mode 0600) when missing. */
  static fromKeyFile(path: string): SecretBox {
    if (!existsSync(path)) {
      writeFileSync(path, randomBytes(32).toString('hex') + '\n', {
        mode: 0o600,
        flag: 'wx'
      });
      chmodSync(path, 0o600);
    }
    const hex = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex))
      throw new Error(
        `the credentials key ${path} must hold 64 hexadecimal digits (32 bytes), e.g. from \`openssl rand -hex 32\``
      );
    return new SecretBox(Buffer.from(hex, 'hex'));
  }

  seal(secret: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([
      cipher.update(secret, 'utf8'),
      cipher.final()
    ]);
    return ['v1', iv, cipher.getAuthTag(), sealed]
      .map(part => (typeof part === 'string' ? part : part.toString('base64')))
      .join(':');
  }

  /** The secret `sealed` holds; throws when it was sealed under another key or context. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || data === undefined)
      throw new Error('not a sealed secret');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.key,
      Buffer.from(iv, 'base64')
    );
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([
      decipher.update(Buffer.from(data, 'base64')),
      decipher.final()
    ]).toString('utf8');
  }
}
