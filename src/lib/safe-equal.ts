// The constant-time compare of secrets (webhook tokens, the codec token, callback signatures), in one place.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Both sides are hashed to equal length first, so neither the length nor the content of the secret leaks. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
