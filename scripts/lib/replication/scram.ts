// SCRAM-SHA-256 verifiers computed client-side, as psql's \password does: the plain password
// never reaches the server, its logs or pg_stat_activity.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

const ITERATIONS = 4096

function keys(password: string, salt: Buffer, iterations: number) {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256')
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return { storedKey, serverKey }
}

export function scramVerifier(password: string, salt = randomBytes(16), iterations = ITERATIONS): string {
  const { storedKey, serverKey } = keys(password, salt, iterations)
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}

/** True when a stored verifier (pg_authid.rolpassword) was made from this password. */
export function scramMatches(stored: string | null, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(stored ?? '')
  if (!m) return false
  const expected = Buffer.from(scramVerifier(password, Buffer.from(m[2], 'base64'), Number(m[1])))
  const actual = Buffer.from(stored!)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

export function generatePassword(): string {
  return randomBytes(24).toString('base64url')
}
