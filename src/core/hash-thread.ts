/**
 * The code of a hashing thread (see ./hash.ts for the side that starts threads and hands them files).
 *
 * Files are published in chunks, each with shared memory for its results and a shared claim counter; every
 * thread gets every chunk and claims a few files at a time with one atomic add, so the cores share the work
 * with no message per file, and a few large files at the end go one to each free core. The thread that
 * finishes a chunk posts its id, so that its digests are collected while the rest are hashed; a thread
 * answers 'done' with the reasons of the files it could not read.
 *
 * For a file with a cached digest it stats the file first: when the stamp matches, the cached digest stands
 * and the file is not opened. Otherwise it reads the file with synchronous calls into one reused buffer: in
 * a thread, a synchronous read is one system call, without the thread-pool round trip of async fs calls
 * that dominates on many small files.
 */

/** What every thread is started with. */
export interface ThreadData {
  /** Per thread, `progressSlot` bytes: files done, bytes done (plain numbers: no BigInt per read). */
  progress: SharedArrayBuffer
  slot: number
  threads: number
  /** Bytes read per call. */
  readChunk: number
  /** Most files claimed at once. */
  maxClaim: number
  progressSlot: number
  /** Numbers kept per file in a chunk's results: state (0 read, 1 cached, -1 unreadable), size, mtimeMs, ctimeMs, ino. */
  resultFields: number
}

/** A run of files, as every thread receives it. */
export interface ChunkMessage {
  id: number
  /** Absolute paths joined with NUL, which cannot occur in a path: one string is far cheaper to send than an array. */
  paths: string
  /** Files claimed so far (Int32). */
  claimed: SharedArrayBuffer
  /** Files hashed so far (Int32): the thread that makes it reach the count says the chunk is done. */
  finished: SharedArrayBuffer
  /** `resultFields` numbers per file (Float64). */
  results: SharedArrayBuffer
  /** 32 bytes per file. */
  digests: SharedArrayBuffer
  /** Stamps (size, mtimeMs, ctimeMs, ino; -1 when none) and digests of an earlier build, by file. */
  cached?: { stamps: SharedArrayBuffer; digests: SharedArrayBuffer }
}

/** What a thread posts: the id of a chunk it finished, or, after 'done', each unreadable file as [chunk, index, reason]. */
export type ThreadMessage = number | Array<[chunk: number, index: number, reason: string]>

/**
 * The thread's entry point. It is evaluated from its own text, so it must stay self-contained: no import,
 * no name from outside its body; Node's modules come from `process.getBuiltinModule` (Node 20.16+).
 */
export function hashingThread(): void {
  const { statSync, fstatSync, openSync, readSync, closeSync } = process.getBuiltinModule('node:fs')
  const { createHash, hash: hashOnce } = process.getBuiltinModule('node:crypto')
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads')
  const data = workerData as ThreadData
  const progress = new Float64Array(data.progress, data.slot * data.progressSlot, 2)
  const buffer = Buffer.allocUnsafe(data.readChunk)
  const errors: Array<[chunk: number, index: number, reason: string]> = []

  interface Chunk {
    id: number
    results: Float64Array
    digests: Buffer
    cached: { stamps: Float64Array; digests: Buffer } | undefined
  }

  /** Whether the file's stamp is the cached one: then the cached digest stands. */
  const unchanged = (stat: { size: number; mtimeMs: number; ctimeMs: number; ino: number }, stamps: Float64Array, i: number) =>
    stat.size === stamps[i * 4] && stat.mtimeMs === stamps[i * 4 + 1] && stat.ctimeMs === stamps[i * 4 + 2] && stat.ino === stamps[i * 4 + 3]

  /** Reads `size` bytes of `fd` through the buffer into a SHA-256 digest; returns the bytes read. */
  const digestOf = (fd: number, size: number, into: Buffer, at: number): number => {
    let hash: ReturnType<typeof createHash> | null = null
    let read = 0
    let filled = 0
    // Read the size fstat gives, as readFileSync does: no extra read to find the end. A file written
    // meanwhile gets a new stamp, so the next build reads it again.
    while (read + filled < size) {
      const n = readSync(fd, buffer, filled, Math.min(buffer.length - filled, size - read - filled), null)
      if (n === 0) break
      filled += n
      if (filled === buffer.length) {
        hash = (hash ?? createHash('sha256')).update(buffer)
        read += filled
        filled = 0
      }
    }
    read += filled
    const digest = hash ? hash.update(buffer.subarray(0, filled)).digest() : hashOnce('sha256', buffer.subarray(0, filled), 'buffer')
    digest.copy(into, at)
    return read
  }

  const hashFile = (path: string, i: number, chunk: Chunk) => {
    const { results, digests, cached } = chunk
    const at = i * data.resultFields
    let fd: number | undefined
    try {
      // With a cached digest, one stat decides: an unchanged file is not opened.
      let stat = cached && cached.stamps[i * 4]! >= 0 ? statSync(path) : undefined
      if (stat && cached && unchanged(stat, cached.stamps, i)) {
        results.set([1, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino], at)
        cached.digests.copy(digests, i * 32, i * 32, i * 32 + 32)
        return
      }
      fd = openSync(path, 'r')
      stat ??= fstatSync(fd)
      const size = digestOf(fd, stat.size, digests, i * 32)
      results.set([0, size, stat.mtimeMs, stat.ctimeMs, stat.ino], at)
      progress[1]! += size
    } catch (error) {
      results[at] = -1
      errors.push([chunk.id, i, (error as Error).message])
    } finally {
      if (fd !== undefined) closeSync(fd)
      progress[0]!++
    }
  }

  /** Claims files of the chunk a few at a time until none is left; says so when this thread hashed its last one. */
  const work = (message: ChunkMessage) => {
    const paths = message.paths.split('\0')
    const chunk: Chunk = {
      id: message.id,
      results: new Float64Array(message.results),
      digests: Buffer.from(message.digests),
      cached: message.cached && { stamps: new Float64Array(message.cached.stamps), digests: Buffer.from(message.cached.digests) },
    }
    const claimed = new Int32Array(message.claimed)
    const finished = new Int32Array(message.finished)
    for (;;) {
      const left = paths.length - Atomics.load(claimed, 0)
      const want = Math.max(1, Math.min(data.maxClaim, Math.floor(left / (2 * data.threads))))
      const start = Atomics.add(claimed, 0, want)
      if (start >= paths.length) return
      const end = Math.min(paths.length, start + want)
      for (let i = start; i < end; i++) hashFile(paths[i]!, i, chunk)
      // The thread that hashes a chunk's last file says so (its results are in shared memory before the add).
      if (Atomics.add(finished, 0, end - start) + end - start === paths.length) parentPort!.postMessage(chunk.id)
    }
  }

  parentPort!.on('message', (message: ChunkMessage | 'done') => {
    if (message === 'done') parentPort!.postMessage(errors)
    else work(message)
  })
}
