import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { AppError } from '../shared/errors.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts registration secrets at rest (AES-256-GCM). They cannot be one-way hashes: the
 * rsync daemon challenge needs the secret itself on the verifying side (PROTOCOLS.md §1).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromBase64(encoded: string, source: string): SecretBox {
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32)
      throw new AppError('startup_failed', `${source} does not hold a 256-bit key`);
    return new SecretBox(key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64')))
      .join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
      throw new AppError('unavailable', 'a stored secret has an unknown format', { expose: false });
    }
    try {
      // A fixed tag length: GCM would otherwise accept a tag cut short, and with it forgeries.
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      // The usual cause: the secrets key was replaced, which voids every stored secret.
      throw new AppError(
        'unavailable',
        'a stored secret cannot be decrypted with this secrets key',
        {
          expose: false,
          cause: error,
        },
      );
    }
  }
}
