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
  /**
   * By key, in the order the files came in: for the files of `walkPublicDir`, key order, which is the
   * order a manifest lists its images in, so that it takes this record as it is.
   */
  digests: Record<string, FileDigest>
  /**
   * The stamp of each file in `digests`, to cache its digest for the next build. Kept only when a `cache`
   * was given (an empty one for a first build): otherwise nobody needs them.
   */
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
  /** Digests of an earlier build of the same folder, by key: a file whose stamp matches is not read again. */
  cache?: ReadonlyMap<string, CachedDigest>
}

/** Read size per call: large files stream through this buffer, so memory stays flat whatever their size. */
const READ_CHUNK = 1024 * 1024

/** Files per chunk published to the workers while the walk goes on. */
const CHUNK_FILES = 256

/** Most files a worker claims at once; fewer as a chunk empties, down to one (guided scheduling). */
const MAX_CLAIM = 16

/** Bytes of shared memory per worker's progress counters: a cache line each, so no two workers write to one line. */
const PROGRESS_SLOT = 64

/** Numbers kept per file in a chunk's results: state (0 read, 1 cached, -1 unreadable), size, mtimeMs, ctimeMs, ino. */
const RESULT_FIELDS = 5

/*
 * The worker script. Files are published in chunks, each with shared memory for its results and a shared
 * claim counter; every worker gets every chunk and claims a few files at a time with one atomic add, so
 * the cores share the work with no message per file, and a few large files at the end go one to each free
 * core. The worker that finishes a chunk posts its id, so that its digests are collected while the rest
 * are hashed; a worker answers 'done' with the reasons of the files it could not read.
 *
 * For a file with a cached digest it stats the file first: when the stamp matches, the cached digest
 * stands and the file is not opened. Otherwise it reads the file with synchronous calls into one reused
 * buffer: in a worker, a synchronous read is one system call, without the thread-pool round trip of async
 * fs calls that dominates on many small files.
 *
 * Plain JavaScript evaluated as the worker's script, so there is no file to resolve whatever bundles or
 * moves this package; `process.getBuiltinModule` (Node 20.16+) works whether it is taken as CommonJS or,
 * under `--input-type=module`, as an ES module.
 */
const WORKER_SOURCE = `
const { statSync, fstatSync, openSync, readSync, closeSync } = process.getBuiltinModule('node:fs')
const { createHash, hash: hashOnce } = process.getBuiltinModule('node:crypto')
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads')
const { threads } = workerData
// Progress: files and bytes done, one slot per worker (plain numbers: no BigInt per read).
const progress = new Float64Array(workerData.progress, workerData.slot * ${PROGRESS_SLOT}, 2)
const buffer = Buffer.allocUnsafe(${READ_CHUNK})
const errors = []

function hashFile(path, i, chunk) {
  const { results, digests, cached } = chunk
  const at = i * ${RESULT_FIELDS}
  let fd
  try {
    // With a cached digest, one stat decides: an unchanged file is not opened.
    let stat = cached && cached.stamps[i * 4] >= 0 ? statSync(path) : undefined
    if (stat && stat.size === cached.stamps[i * 4] && stat.mtimeMs === cached.stamps[i * 4 + 1] &&
        stat.ctimeMs === cached.stamps[i * 4 + 2] && stat.ino === cached.stamps[i * 4 + 3]) {
      results.set([1, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino], at)
      cached.digests.copy(digests, i * 32, i * 32, i * 32 + 32)
      return
    }
    fd = openSync(path, 'r')
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
    digest.copy(digests, i * 32)
    results.set([0, size, stat.mtimeMs, stat.ctimeMs, stat.ino], at)
    progress[1] += size
  } catch (error) {
    results[at] = -1
    errors.push([chunk.id, i, error.message])
  } finally {
    if (fd !== undefined) closeSync(fd)
    progress[0]++
  }
}

parentPort.on('message', (message) => {
  if (message === 'done') return parentPort.postMessage(errors)
  const paths = message.paths.split('\\0')
  const chunk = {
    id: message.id,
    results: new Float64Array(message.results),
    digests: Buffer.from(message.digests),
    cached: message.cached && { stamps: new Float64Array(message.cached.stamps), digests: Buffer.from(message.cached.digests) },
  }
  const claimed = new Int32Array(message.claimed)
  const finished = new Int32Array(message.finished)
  for (;;) {
    const left = paths.length - Atomics.load(claimed, 0)
    const want = Math.max(1, Math.min(${MAX_CLAIM}, Math.floor(left / (2 * threads))))
    const start = Atomics.add(claimed, 0, want)
    if (start >= paths.length) return
    const end = Math.min(paths.length, start + want)
    for (let i = start; i < end; i++) hashFile(paths[i], i, chunk)
    // The thread that hashes a chunk's last file says so (its results are in shared memory before the add).
    if (Atomics.add(finished, 0, end - start) + end - start === paths.length) parentPort.postMessage(chunk.id)
  }
})
`

/** A run of files handed to every worker at once, with the shared memory their results go to. */
interface Chunk {
  files: ScannedFile[]
  results: Float64Array
  digests: Buffer
  message: {
    id: number
    paths: string
    claimed: SharedArrayBuffer
    finished: SharedArrayBuffer
    results: SharedArrayBuffer
    digests: SharedArrayBuffer
    cached?: { stamps: SharedArrayBuffer; digests: SharedArrayBuffer }
  }
}

function createChunk(id: number, files: ScannedFile[], cache: ReadonlyMap<string, CachedDigest> | undefined): Chunk {
  const results = new SharedArrayBuffer(files.length * RESULT_FIELDS * 8)
  const digests = new SharedArrayBuffer(files.length * 32)
  const chunk: Chunk = {
    files,
    results: new Float64Array(results),
    digests: Buffer.from(digests),
    // NUL cannot occur in a path, so it separates them: one string is far cheaper to send than an array.
    message: { id, paths: files.map((file) => file.absolutePath).join('\0'), claimed: new SharedArrayBuffer(4), finished: new SharedArrayBuffer(4), results, digests },
  }
  if (cache && cache.size > 0) {
    const stamps = new Float64Array(new SharedArrayBuffer(files.length * 4 * 8)).fill(-1)
    const cachedDigests = Buffer.from(new SharedArrayBuffer(files.length * 32))
    files.forEach((file, i) => {
      const entry = cache.get(file.key)
      if (!entry) return
      stamps.set([entry.size, entry.mtimeMs, entry.ctimeMs, entry.ino], i * 4)
      cachedDigests.write(entry.hash, i * 32, 'hex')
    })
    chunk.message.cached = { stamps: stamps.buffer as SharedArrayBuffer, digests: cachedDigests.buffer as SharedArrayBuffer }
  }
  return chunk
}

/** Worker threads ready to hash, with their progress counters. */
interface HashingThreads {
  workers: Worker[]
  /** Per worker: files done, bytes done. Read without locks: progress only needs to be about right. */
  counters: Float64Array
  /**
   * Rejects when a worker fails, or stops before it answers: the run ends with an error rather than a build
   * that waits forever (after the answers, the exits of terminate() come too late to matter).
   */
  failed: Promise<never>
}

function startThreads(threads: number): HashingThreads {
  const counters = new Float64Array(new SharedArrayBuffer(threads * PROGRESS_SLOT))
  const workers = Array.from({ length: threads }, (_, slot) => new Worker(WORKER_SOURCE, { eval: true, workerData: { progress: counters.buffer, slot, threads } }))
  const failed = new Promise<never>((_, reject) => {
    for (const worker of workers) {
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`a hashing thread stopped early (exit code ${code})`)))
    }
  })
  failed.catch(() => {})
  return { workers, counters, failed }
}

/** Threads started by `startHashingThreads`, for the next `hashFiles` to take. */
let startedAhead: HashingThreads | undefined

/**
 * Starts the hashing threads for the next `hashFiles` now, so that their start-up (about 30 ms, more while
 * the main thread is busy) is off the end of the build: bundler plugins call it when a production build
 * starts, the CLI before it loads the rest. They keep nothing alive: a process that never hashes exits as
 * if they were not there.
 */
export function startHashingThreads(threads = availableParallelism()): void {
  if (startedAhead) return
  startedAhead = startThreads(Math.max(1, threads))
  for (const worker of startedAhead.workers) worker.unref()
}

/**
 * The threads started ahead, used once, when there are as many as a run wants; otherwise new ones, started
 * before the first file is found so that their start-up overlaps the walk.
 */
function takeThreads(threads: number): HashingThreads {
  const ahead = startedAhead
  startedAhead = undefined
  if (ahead?.workers.length === threads) return ahead
  for (const worker of ahead?.workers ?? []) worker.terminate().catch(() => {})
  return startThreads(threads)
}

/**
 * Hashes files with SHA-256 on every core. A file that cannot be read is reported in `failures` and left
 * out of `digests`; one bad file never fails the rest.
 *
 * `files` may be batches from an async iterable (`walkPublicDir`): the workers start at once and hash files
 * as the walk yields them, so walking and hashing overlap.
 */
export async function hashFiles(files: Iterable<ScannedFile> | AsyncIterable<readonly ScannedFile[]>, options: HashOptions = {}): Promise<HashResult> {
  const { cache } = options
  const threads = Math.max(1, options.threads ?? availableParallelism())
  const { workers, counters, failed } = takeThreads(threads)
  for (const worker of workers) worker.ref()
  let found = 0
  const report = () => {
    let done = 0
    let bytes = 0
    for (let i = 0; i < counters.length; i += PROGRESS_SLOT / 8) {
      done += counters[i]!
      bytes += counters[i + 1]!
    }
    options.onProgress?.({ files: done, totalFiles: found, bytes })
  }
  const timer = options.onProgress ? setInterval(report, 250) : undefined

  const result: HashResult = { digests: {}, stamps: new Map(), failures: [], bytes: 0, reused: 0 }
  const chunks: Chunk[] = []
  // Chunks are collected in the order they were published, each as soon as it and those before are done:
  // what is left once the threads finish is the last chunk or two, not 20,000 digests.
  const finished: boolean[] = []
  let collected = 0
  const collectFinished = () => {
    while (collected < chunks.length && finished[collected]) collectChunk(result, chunks[collected++]!, cache !== undefined)
  }

  const answers = workers.map(
    (worker) =>
      new Promise<Array<[chunk: number, index: number, reason: string]>>((resolve) => {
        worker.on('message', (message: number | Array<[chunk: number, index: number, reason: string]>) => {
          if (typeof message !== 'number') return resolve(message)
          finished[message] = true
          collectFinished()
        })
      }),
  )

  let batch: ScannedFile[] = []
  const publish = () => {
    if (batch.length === 0) return
    const chunk = createChunk(chunks.length, batch, cache)
    chunks.push(chunk)
    for (const worker of workers) worker.postMessage(chunk.message)
    batch = []
  }
  try {
    const take = (file: ScannedFile) => {
      found++
      batch.push(file)
      if (batch.length === CHUNK_FILES) publish()
    }
    if (Symbol.asyncIterator in files) for await (const walked of files) walked.forEach(take)
    else for (const file of files) take(file)
    publish()
    // Messages arrive in order: a worker answers 'done' once it has finished its share of every chunk.
    for (const worker of workers) worker.postMessage('done')
    const errors = (await Promise.race([Promise.all(answers), failed])).flat()
    // Every worker has answered, so every chunk is done, whatever messages said so.
    for (let id = collected; id < chunks.length; id++) finished[id] = true
    collectFinished()
    for (const [id, index, reason] of errors) result.failures.push({ key: chunks[id]!.files[index]!.key, reason })
    result.failures.sort((a, b) => compareKeys(a.key, b.key))
    return result
  } finally {
    clearInterval(timer)
    if (timer) report()
    // Not awaited: once the answers are in, waiting for the threads to wind down only delays the build.
    for (const worker of workers) worker.terminate().catch(() => {})
  }
}

/** Adds the digests (and stamps, when kept) of a finished chunk to `result`; unreadable files are left out. */
function collectChunk(result: HashResult, { files, results, digests }: Chunk, keepStamps: boolean): void {
  // One hex string per chunk, sliced: a slice shares its characters instead of copying them.
  const hex = digests.toString('hex')
  for (let i = 0; i < files.length; i++) {
    const at = i * RESULT_FIELDS
    const state = results[at]!
    if (state < 0) continue
    const { key } = files[i]!
    const size = results[at + 1]!
    // Image keys start with "/": none is an array index, which objects would list first.
    result.digests[key] = { hash: hex.slice(i * 64, i * 64 + 64), size }
    if (keepStamps) result.stamps.set(key, { size, mtimeMs: results[at + 2]!, ctimeMs: results[at + 3]!, ino: results[at + 4]! })
    if (state === 1) result.reused++
    else result.bytes += size
  }
}
