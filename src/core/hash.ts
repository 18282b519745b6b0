import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { compareKeys } from './keys.js'
import type { ScannedFile } from './scan.js'

export interface FileDigest {
  /** Lower-case hex SHA-256 of the file's bytes. */
  hash: string
  /** Bytes hashed. */
  size: number
}

export interface HashFailure {
  key: string
  /** Why the file could not be read, e.g. `EACCES: permission denied`. */
  reason: string
}

export interface HashResult {
  digests: Map<string, FileDigest>
  failures: HashFailure[]
  bytes: number
}

export interface HashOptions {
  /** Files open at once. Default: 4 per core, at least 8. */
  concurrency?: number
}

/** Files up to this size are read in one call; larger ones are streamed so memory stays flat. */
const ONE_SHOT_LIMIT = 1024 * 1024

export function defaultHashConcurrency(): number {
  return Math.max(8, availableParallelism() * 4)
}

/**
 * Hashes files with SHA-256, a bounded number open at once. A file that cannot be read is reported in
 * `failures` and left out of `digests`; it never throws for one file.
 */
export async function hashFiles(files: readonly ScannedFile[], options: HashOptions = {}): Promise<HashResult> {
  const digests = new Map<string, FileDigest>()
  const failures: HashFailure[] = []
  let bytes = 0
  let next = 0

  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!
      try {
        const digest = await hashFile(file.absolutePath)
        digests.set(file.key, digest)
        bytes += digest.size
      } catch (error) {
        failures.push({ key: file.key, reason: describeFsError(error) })
      }
    }
  }

  const concurrency = Math.max(1, Math.min(options.concurrency ?? defaultHashConcurrency(), files.length))
  await Promise.all(Array.from({ length: concurrency }, worker))
  failures.sort((a, b) => compareKeys(a.key, b.key))
  return { digests, failures, bytes }
}

export async function hashFile(absolutePath: string): Promise<FileDigest> {
  const handle = await open(absolutePath, 'r')
  try {
    const { size } = await handle.stat()
    if (size <= ONE_SHOT_LIMIT) {
      const buffer = Buffer.allocUnsafe(size)
      let read = 0
      while (read < size) {
        const { bytesRead } = await handle.read(buffer, read, size - read, read)
        if (bytesRead === 0) break
        read += bytesRead
      }
      // The file may have shrunk between stat and read; hash what is there, and check it did not grow.
      const { bytesRead: extra } = await handle.read(Buffer.allocUnsafe(1), 0, 1, read)
      if (extra === 0) {
        return { hash: createHash('sha256').update(buffer.subarray(0, read)).digest('hex'), size: read }
      }
    }
  } finally {
    await handle.close()
  }
  return hashStream(absolutePath)
}

function hashStream(absolutePath: string): Promise<FileDigest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    let size = 0
    createReadStream(absolutePath, { highWaterMark: 256 * 1024 })
      .on('data', (chunk) => {
        size += chunk.length
        hash.update(chunk)
      })
      .on('error', reject)
      .on('end', () => resolve({ hash: hash.digest('hex'), size }))
  })
}

function describeFsError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
