import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { ImageInvalidateError } from './errors.js'
import { hashingThread, type ChunkMessage, type ThreadData, type ThreadMessage } from './hash-thread.js'
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

/**
 * The thread's script: the build emits it as `hash-thread.js` beside the chunk that holds this module. Run
 * from source (the tests), or bundled by someone else without that file, the thread evaluates
 * `hashingThread`'s own text instead: the function is self-contained for that (./hash-thread.ts), unless a
 * bundler rewrote it with helpers of its own module (esbuild's `keepNames` with `minify` does).
 */
const THREAD_FILE = new URL('./hash-thread.js', import.meta.url)

function threadScript(): { script: string | URL; eval: boolean } {
  if (existsSync(fileURLToPath(THREAD_FILE))) return { script: THREAD_FILE, eval: false }
  return { script: `(${hashingThread.toString()})()`, eval: true }
}

/**
 * The process's Node options, less those a thread started from a file refuses: a process started with
 * `node --input-type=module -e` passes it on, and Node 22+ rejects it outside `-e` and stdin.
 */
function threadExecArgv(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith('--input-type'))
}

/** Files per chunk published to the workers while the walk goes on. */
const CHUNK_FILES = 256

/** Most files a worker claims at once; fewer as a chunk empties, down to one (guided scheduling). */
const MAX_CLAIM = 16

/** Bytes of shared memory per worker's progress counters: a cache line each, so no two workers write to one line. */
const PROGRESS_SLOT = 64

/** Numbers kept per file in a chunk's results: state (0 read, 1 cached, -1 unreadable), size, mtimeMs, ctimeMs, ino. */
const RESULT_FIELDS = 5

/** A run of files handed to every worker at once, with the shared memory their results go to. */
interface Chunk {
  files: ScannedFile[]
  results: Float64Array
  digests: Buffer
  message: ChunkMessage
}

function createChunk(id: number, files: ScannedFile[], cache: ReadonlyMap<string, CachedDigest> | undefined): Chunk {
  const results = new SharedArrayBuffer(files.length * RESULT_FIELDS * 8)
  const digests = new SharedArrayBuffer(files.length * 32)
  const chunk: Chunk = {
    files,
    results: new Float64Array(results),
    digests: Buffer.from(digests),
    // NUL cannot occur in a path, so it separates them: one string is far cheaper to send than an array.
    message: {
      id,
      paths: files.map((file) => file.absolutePath).join('\0'),
      claimed: new SharedArrayBuffer(4),
      finished: new SharedArrayBuffer(4),
      results,
      digests,
    },
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
  const { script, eval: evaluated } = threadScript()
  const workers = Array.from({ length: threads }, (_, slot) => {
    const workerData: ThreadData = {
      progress: counters.buffer as SharedArrayBuffer,
      slot,
      threads,
      readChunk: READ_CHUNK,
      maxClaim: MAX_CLAIM,
      progressSlot: PROGRESS_SLOT,
      resultFields: RESULT_FIELDS,
    }
    return new Worker(script, { eval: evaluated, workerData, execArgv: threadExecArgv() })
  })
  const failed = new Promise<never>((_, reject) => {
    for (const worker of workers) {
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new ImageInvalidateError('IMAGE_INVALIDATE_HASH_THREAD', `a hashing thread stopped early (exit code ${code})`)))
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
  const threads = takeThreads(Math.max(1, options.threads ?? availableParallelism()))
  const { workers } = threads
  for (const worker of workers) worker.ref()
  const result: HashResult = { digests: {}, stamps: new Map(), failures: [], bytes: 0, reused: 0 }
  const collector = createCollector(result, options.cache !== undefined)
  const answers = workers.map((worker) => answerOf(worker, collector))
  const progress = options.onProgress && reportProgress(threads, collector, options.onProgress)
  try {
    await publishFiles(files, workers, collector, options.cache)
    // Messages arrive in order: a worker answers 'done' once it has finished its share of every chunk.
    for (const worker of workers) worker.postMessage('done')
    const errors = (await Promise.race([Promise.all(answers), threads.failed])).flat()
    // Every worker has answered, so every chunk is done, whatever messages said so.
    collector.collectAll()
    for (const [id, index, reason] of errors) result.failures.push({ key: collector.chunks[id]!.files[index]!.key, reason })
    result.failures.sort((a, b) => compareKeys(a.key, b.key))
    return result
  } finally {
    progress?.stop()
    // Not awaited: once the answers are in, waiting for the threads to wind down only delays the build.
    for (const worker of workers) worker.terminate().catch(() => {})
  }
}

/**
 * The chunks published so far, and their digests collected into `result` in the order they were published,
 * each as soon as it and those before are done: what is left once the threads finish is the last chunk or
 * two, not 20,000 digests.
 */
function createCollector(result: HashResult, keepStamps: boolean) {
  const chunks: Chunk[] = []
  const finished: boolean[] = []
  let collected = 0
  const collectFinished = () => {
    while (collected < chunks.length && finished[collected]) collectChunk(result, chunks[collected++]!, keepStamps)
  }
  return {
    chunks,
    /** Files handed to the threads so far. */
    found: 0,
    finish(id: number) {
      finished[id] = true
      collectFinished()
    },
    collectAll() {
      for (let id = collected; id < chunks.length; id++) finished[id] = true
      collectFinished()
    },
  }
}

type Collector = ReturnType<typeof createCollector>

/** A worker's answer to 'done' (its unreadable files); chunk ids it posts before go to the collector. */
function answerOf(worker: Worker, collector: Collector): Promise<Array<[chunk: number, index: number, reason: string]>> {
  return new Promise((resolve) => {
    worker.on('message', (message: ThreadMessage) => {
      if (typeof message === 'number') collector.finish(message)
      else resolve(message)
    })
  })
}

/** Hands the files to every worker in chunks of `CHUNK_FILES`, as they come. */
async function publishFiles(
  files: Iterable<ScannedFile> | AsyncIterable<readonly ScannedFile[]>,
  workers: Worker[],
  collector: Collector,
  cache: ReadonlyMap<string, CachedDigest> | undefined,
): Promise<void> {
  let batch: ScannedFile[] = []
  const publish = () => {
    if (batch.length === 0) return
    const chunk = createChunk(collector.chunks.length, batch, cache)
    collector.chunks.push(chunk)
    for (const worker of workers) worker.postMessage(chunk.message)
    batch = []
  }
  const take = (file: ScannedFile) => {
    collector.found++
    batch.push(file)
    if (batch.length === CHUNK_FILES) publish()
  }
  if (Symbol.asyncIterator in files) for await (const walked of files) walked.forEach(take)
  else for (const file of files) take(file)
  publish()
}

/** Calls `onProgress` about four times a second from the threads' counters, and once more at `stop()`. */
function reportProgress({ counters }: HashingThreads, collector: Collector, onProgress: (progress: HashProgress) => void) {
  const report = () => {
    let done = 0
    let bytes = 0
    for (let i = 0; i < counters.length; i += PROGRESS_SLOT / 8) {
      done += counters[i]!
      bytes += counters[i + 1]!
    }
    onProgress({ files: done, totalFiles: collector.found, bytes })
  }
  const timer = setInterval(report, 250)
  return {
    stop() {
      clearInterval(timer)
      report()
    },
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
