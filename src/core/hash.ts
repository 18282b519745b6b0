import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
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
  /** Why the file could not be read, e.g. `EACCES: permission denied, open '…'`. */
  reason: string
}

/**
 * What tells that a file is unchanged without reading it, as git's index does: size, modification and
 * change times, inode. The change time cannot be set back by a user, so an edit that restores size and
 * mtime still shows.
 */
export interface FileStamp {
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
}

/** A digest from an earlier build, valid while its file's stamp is the same. */
export interface CachedDigest extends FileStamp {
  hash: string
}

export interface HashResult {
  digests: Map<string, FileDigest>
  /** The stamp of each file in `digests`, to cache its digest for the next build. */
  stamps: Map<string, FileStamp>
  failures: HashFailure[]
  /** Bytes read and hashed; files taken from the cache add nothing. */
  bytes: number
  /** Files whose digest came from the cache, unread. */
  reused: number
}

export interface HashProgress {
  files: number
  totalFiles: number
  bytes: number
}

export interface HashOptions {
  /** Worker threads, each hashing one file at a time. Default: one per core. */
  threads?: number
  /** Called about four times a second while hashing, with the files and bytes done so far. */
  onProgress?: (progress: HashProgress) => void
  /** Digests of an earlier build by absolute path: a file whose stamp matches is not read again. */
  cache?: ReadonlyMap<string, CachedDigest>
}

/** Read size per call: large files stream through this buffer, so memory stays flat whatever their size. */
const READ_CHUNK = 1024 * 1024

/** Most files per message to a worker: enough to make messaging cheap on folders of small images. */
const MAX_BATCH = 64

/*
 * The worker script. A worker hashes the batches of paths it is sent. For a file with a cached digest it
 * stats the file first: when the stamp matches, the cached digest stands and the file is not opened.
 * Otherwise it reads the file with synchronous calls into one reused buffer: in a worker, a synchronous
 * read is one system call, without the thread-pool round trip of async fs calls that dominates on many
 * small files. It answers each batch with digests, stamps and flags in transferred buffers (no copy), and
 * counts its progress in shared memory.
 *
 * Plain JavaScript evaluated as the worker's script, so there is no file to resolve whatever bundles or
 * moves this package; `process.getBuiltinModule` (Node 20.16+) works whether it is taken as CommonJS or,
 * under `--input-type=module`, as an ES module.
 */
const WORKER_SOURCE = `
const { statSync, fstatSync, openSync, readSync, closeSync } = process.getBuiltinModule('node:fs')
const { createHash, hash: hashOnce } = process.getBuiltinModule('node:crypto')
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads')
// Progress: files and bytes done, one slot per worker (plain numbers: no BigInt per read).
const progress = new Float64Array(workerData.progress, workerData.slot * 16, 2)
const buffer = Buffer.allocUnsafe(${READ_CHUNK})
const sameStamp = (entry, stat) =>
  entry[0] === stat.size && entry[1] === stat.mtimeMs && entry[2] === stat.ctimeMs && entry[3] === stat.ino
parentPort.on('message', ({ paths, cached }) => {
  const digests = new Uint8Array(paths.length * 32)
  // Per file: size (-1 when unreadable), mtimeMs, ctimeMs, ino.
  const stamps = new Float64Array(paths.length * 4)
  const reused = new Uint8Array(paths.length)
  const errors = []
  for (let i = 0; i < paths.length; i++) {
    let fd
    try {
      const entry = cached[i]
      // With a cached digest, one stat decides: an unchanged file is not opened.
      let stat = entry ? statSync(paths[i]) : undefined
      if (stat && sameStamp(entry, stat)) {
        stamps.set([stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino], i * 4)
        digests.set(Buffer.from(entry[4], 'hex'), i * 32)
        reused[i] = 1
        continue
      }
      fd = openSync(paths[i], 'r')
      stat ??= fstatSync(fd)
      // Read the size fstat gives, as readFileSync does: no extra read to find the end. A file written
      // meanwhile gets a new stamp, so the next build reads it again.
      let hash = null
      let size = 0
      let filled = 0
      while (size + filled < stat.size) {
        const n = readSync(fd, buffer, filled, Math.min(buffer.length - filled, stat.size - size - filled), null)
        if (n === 0) break
        filled += n
        if (filled === buffer.length) {
          hash = (hash ?? createHash('sha256')).update(buffer)
          size += filled
          filled = 0
        }
      }
      size += filled
      const digest = hash ? hash.update(buffer.subarray(0, filled)).digest() : hashOnce('sha256', buffer.subarray(0, filled), 'buffer')
      digests.set(digest, i * 32)
      stamps.set([size, stat.mtimeMs, stat.ctimeMs, stat.ino], i * 4)
      progress[1] += size
    } catch (error) {
      stamps[i * 4] = -1
      errors.push([i, error.message])
    } finally {
      if (fd !== undefined) closeSync(fd)
      progress[0]++
    }
  }
  parentPort.postMessage({ digests, stamps, reused, errors }, [digests.buffer, stamps.buffer, reused.buffer])
})
`

interface BatchAnswer {
  digests: Uint8Array
  stamps: Float64Array
  reused: Uint8Array
  errors: Array<[index: number, reason: string]>
}

/**
 * Hashes files with SHA-256 on every core. A file that cannot be read is reported in `failures` and left
 * out of `digests`; one bad file never fails the rest.
 *
 * `files` may be an async iterable (`walkPublicDir`): the workers start at once and hash files as the walk
 * yields them, so walking and hashing overlap. Work is handed out in batches whose size shrinks as the
 * queue empties (guided scheduling), so that a few large files at the end are shared out one by one
 * instead of leaving one core to finish them alone.
 */
export async function hashFiles(files: Iterable<ScannedFile> | AsyncIterable<ScannedFile>, options: HashOptions = {}): Promise<HashResult> {
  const result: HashResult = { digests: new Map(), stamps: new Map(), failures: [], bytes: 0, reused: 0 }
  const { cache } = options
  const threads = Math.max(1, options.threads ?? availableParallelism())
  // Per worker: files done, bytes done. Read without locks: progress only needs to be about right.
  const counters = new Float64Array(new SharedArrayBuffer(threads * 16))
  let found = 0
  const report = () => {
    let done = 0
    let bytes = 0
    for (let i = 0; i < counters.length; i += 2) {
      done += counters[i]!
      bytes += counters[i + 1]!
    }
    options.onProgress?.({ files: done, totalFiles: found, bytes })
  }
  const timer = options.onProgress ? setInterval(report, 250) : undefined

  const pending: ScannedFile[] = []
  let walking = true
  let failure: Error | undefined
  let finish: () => void = () => {}
  const finished = new Promise<void>((resolve) => (finish = resolve))

  // Workers start before the first file is found: their start-up overlaps the walk.
  const pool = Array.from({ length: threads }, (_, slot) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { progress: counters.buffer, slot } })
    const state = { worker, busy: [] as ScannedFile[][] }
    worker.on('message', (answer: BatchAnswer) => {
      collect(state.busy.shift()!, answer, result)
      feed()
    })
    worker.on('error', (error) => {
      failure ??= error
      finish()
    })
    return state
  })

  function feed(): void {
    for (const state of pool) {
      // While the walk goes on, a second batch waits in each worker so it never idles; after it, one at
      // a time, so that nothing waits behind a large file while another core is free.
      while (pending.length > 0 && state.busy.length < (walking ? 2 : 1)) {
        const size = walking ? MAX_BATCH : Math.min(MAX_BATCH, Math.ceil(pending.length / (2 * threads)))
        if (walking && pending.length < size) break
        const batch = pending.splice(0, size)
        state.busy.push(batch)
        const paths = batch.map((file) => file.absolutePath)
        const cached = paths.map((file) => {
          const entry = cache?.get(file)
          return entry ? [entry.size, entry.mtimeMs, entry.ctimeMs, entry.ino, entry.hash] : null
        })
        state.worker.postMessage({ paths, cached })
      }
    }
    if (!walking && pending.length === 0 && pool.every((state) => state.busy.length === 0)) finish()
  }

  try {
    for await (const file of files) {
      found++
      pending.push(file)
      if (pending.length >= MAX_BATCH) feed()
    }
    walking = false
    feed()
    await finished
    if (failure) throw failure
    result.failures.sort((a, b) => compareKeys(a.key, b.key))
    return result
  } finally {
    clearInterval(timer)
    if (timer) report()
    await Promise.all(pool.map((state) => state.worker.terminate()))
  }
}

function collect(batch: ScannedFile[], answer: BatchAnswer, result: HashResult): void {
  const reasons = new Map(answer.errors)
  const digests = Buffer.from(answer.digests.buffer, answer.digests.byteOffset, answer.digests.byteLength)
  const { stamps } = answer
  for (let i = 0; i < batch.length; i++) {
    const { key } = batch[i]!
    const size = stamps[i * 4]!
    if (size < 0) {
      result.failures.push({ key, reason: reasons.get(i) ?? 'unreadable' })
      continue
    }
    result.digests.set(key, { hash: digests.toString('hex', i * 32, i * 32 + 32), size })
    result.stamps.set(key, { size, mtimeMs: stamps[i * 4 + 1]!, ctimeMs: stamps[i * 4 + 2]!, ino: stamps[i * 4 + 3]! })
    if (answer.reused[i]) result.reused++
    else result.bytes += size
  }
}
