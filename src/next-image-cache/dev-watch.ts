import { watch, type Dirent, type FSWatcher } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { diffImages } from '../core/diff.js'
import { hashFiles, startHashingThreads, type CachedDigest, type FileDigest, type FileStamp } from '../core/hash.js'
import { hasImageExtension, isDirectory, matcherOf, walkPublicDir, type ScannedFile } from '../core/scan.js'
import { countOf, listSome, LOG_PREFIX, type Logger } from '../shared/format.js'
import { loadHashCache, RACY_WINDOW_MS, saveHashCache } from '../shared/hash-cache.js'
import { loadCacheNaming, type CacheNaming, type ImagesConfigInput } from './naming.js'
import { describeRemoved, listEntries, pruneImageCache } from './prune.js'

export interface DevWatchOptions {
  /** Where `next` is installed from: its own code names the cache entries. */
  projectDir: string
  publicDir: string
  /** The image cache of this dev server (`<distDir>/dev/cache/images` since Next.js 16). */
  cacheDir: string
  /** The digests of the images the cache's entries were made from, kept between dev servers. */
  recordFile: string
  /** `images` and `basePath` of the Next.js config. */
  config: ImagesConfigInput
  include?: string[]
  exclude?: string[]
  logger: Logger
}

export interface DevWatch {
  /** Resolves once the folders are watched and the images compared with the last dev server's record. */
  ready: Promise<void>
  /** Resolves once every change seen so far has been handled. */
  idle(): Promise<void>
  close(): void
}

/** Quiet time after a file's last event before it is read: an editor or a copy saves in several writes. */
const SETTLE_MS = 40
/** A file written without pause is read after this long all the same (and again after its next write). */
const MAX_SETTLE_MS = 1000
/** A stamp no file has: the hashing threads read the file instead of trusting the recorded digest. */
const UNKNOWN_STAMP: FileStamp = { size: -1, mtimeMs: -1, ctimeMs: -1, ino: -1 }
/** Stats in flight at once when comparing the images with the record at start. */
const STAT_BATCH = 64
/** How long after the start-up comparison the first hashing thread is started ahead. */
const PRESTART_AFTER_START_MS = 3000
/** More lines than this for one batch of changes become one line. */
const MAX_LINES = 5

/**
 * Watches a Next.js public folder for the life of the dev server and removes, from its image cache, the
 * entries of each image whose bytes changed or that went, so that `next/image` serves the new picture on
 * the next request instead of the old one for up to `images.minimumCacheTTL`.
 *
 * At start it compares the images with the record the last dev server left (hashing only files whose
 * size, times or inode changed), so a change made while no dev server ran is caught too; then it handles
 * each change as the folder watchers report it. A touched file keeps its hash and is left alone. Never
 * throws: whatever fails is one warning, and the dev server goes on.
 */
export function watchPublicImages(options: DevWatchOptions): DevWatch {
  const watcher = new PublicImageWatcher(options)
  return { ready: watcher.start(), idle: () => watcher.idle(), close: () => watcher.close() }
}

/** Image keys by what happened to them, in one batch. */
interface Changes {
  changed: string[]
  removed: string[]
  /** Not in the record: new, or cached before any record knew their bytes (a first run). */
  unproven: string[]
}

class PublicImageWatcher {
  /** Each image's digest and stamp, as its cache entries were last made from (as far as is known). */
  private record = new Map<string, CachedDigest>()
  /** By folder relative to the public folder ('' for itself), with the real path it watches. */
  private readonly folders = new Map<string, { watcher: FSWatcher; real: string }>()
  private readonly watchedReal = new Set<string>()
  /** Paths relative to the public folder, POSIX separators, that had events since the last batch. */
  private readonly pending = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private burstStartedAt = 0
  private work: Promise<void> = Promise.resolve()
  private naming: CacheNaming | { problem: string } | undefined
  private closed = false
  private readonly warned = new Set<string>()
  private readonly isIncluded: (relative: string) => boolean
  private readonly isExcludedFolder: (relative: string) => boolean

  constructor(private readonly options: DevWatchOptions) {
    const include = options.include?.length ? matcherOf(options.include) : hasImageExtension
    const exclude = matcherOf(options.exclude ?? [])
    // As the walk applies them: a folder that matches `exclude` is not entered.
    this.isExcludedFolder = (relative) => relative.split('/').some((_, i, parts) => exclude(parts.slice(0, i + 1).join('/')))
    this.isIncluded = (relative) => include(relative) && !exclude(relative) && !this.isExcludedFolder(path.posix.dirname(relative))
  }

  async start(): Promise<void> {
    try {
      if (!(await isDirectory(this.options.publicDir))) return
      await this.watchTree('')
      await this.enqueue(() => this.reconcile())
    } catch (error) {
      this.warnOnce(
        `could not start watching ${this.options.publicDir} (${(error as Error).message}): ` +
          'the cached variants of changed images are not removed in this dev server',
      )
    }
  }

  async idle(): Promise<void> {
    while (this.timer || this.pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await this.work
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.timer = undefined
    this.dropWatchers('')
  }

  /**
   * One watcher per folder, not `fs.watch(dir, { recursive: true })`: on Linux, Node 20 implements the
   * recursive one with a watcher per file, set up synchronously, whose `unref()` does nothing. These are
   * `persistent: false`, so they never keep the process alive. A linked folder is followed unless its real
   * folder is watched already (a link back up, or a second link to the same folder).
   */
  private async watchTree(relative: string): Promise<void> {
    if (this.closed || this.folders.has(relative) || (relative && this.isExcludedFolder(relative))) return
    const absolute = path.join(this.options.publicDir, relative)
    const real = await realpath(absolute).catch(() => undefined)
    if (real === undefined || this.watchedReal.has(real)) return
    try {
      const watcher = watch(absolute, { persistent: false }, (_event, name) => this.onEvent(relative, name))
      watcher.on('error', () => {
        this.dropWatchers(relative)
        this.onEvent(relative, null)
      })
      this.folders.set(relative, { watcher, real })
      this.watchedReal.add(real)
    } catch (error) {
      this.warnOnce(`could not watch ${absolute} (${(error as Error).message}): its images are compared again when the dev server next starts`)
      return
    }
    const entries: Dirent[] = await readdir(absolute, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const isFolder = entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(path.join(absolute, entry.name))))
      if (isFolder) await this.watchTree(relative ? `${relative}/${entry.name}` : entry.name)
    }
  }

  /** Closes the watchers of a folder and of every folder under it ('' for all). */
  private dropWatchers(relative: string): void {
    for (const [folder, { watcher, real }] of this.folders) {
      if (relative !== '' && folder !== relative && !folder.startsWith(`${relative}/`)) continue
      watcher.close()
      this.folders.delete(folder)
      this.watchedReal.delete(real)
    }
  }

  private onEvent(folder: string, name: string | null): void {
    if (this.closed) return
    this.pending.add(name ? joinPath(folder, name) : folder)
    const now = performance.now()
    if (!this.timer) this.burstStartedAt = now
    clearTimeout(this.timer)
    const wait = Math.max(0, Math.min(SETTLE_MS, this.burstStartedAt + MAX_SETTLE_MS - now))
    this.timer = setTimeout(() => this.flush(), wait)
    this.timer.unref()
  }

  private flush(): void {
    this.timer = undefined
    const paths = [...this.pending]
    this.pending.clear()
    void this.enqueue(() => this.handle(paths))
  }

  /** Runs batches one after the other; a failure is a warning, and the next batch runs all the same. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    this.work = this.work.then(task).catch((error: Error) => this.warnOnce(`could not remove the cached variants of changed images: ${error.message}`))
    return this.work
  }

  /** At start: every image against the record the last dev server left. */
  private async reconcile(): Promise<void> {
    const files: ScannedFile[] = []
    for await (const batch of walkPublicDir(this.options.publicDir, { include: this.options.include, exclude: this.options.exclude })) files.push(...batch)
    this.record = await loadHashCache(this.options.recordFile, this.options.publicDir)
    // No images and none before: nothing to hash, name or write.
    if (files.length === 0 && this.record.size === 0) return
    // Most starts find nothing changed: a stat per image tells, and no thread starts while the server does.
    if (!(await this.allAsRecorded(files))) {
      // Only what was cached before this dev server can be stale: entries it makes while the images are
      // hashed come from the bytes of now (and a change meanwhile is an event, handled next).
      const cachedBefore = await listEntries(this.options.cacheDir)
      await this.prune(await this.compare(files, () => true), ' since the last dev server', cachedBefore)
    }
    this.prestartThread(PRESTART_AFTER_START_MS)
  }

  /** Whether every image has the stamp the record has for it, and the record no other image. */
  private async allAsRecorded(files: ScannedFile[]): Promise<boolean> {
    if (files.length !== this.record.size) return false
    for (let i = 0; i < files.length; i += STAT_BATCH) {
      const stamps = await Promise.all(files.slice(i, i + STAT_BATCH).map((file) => stat(file.absolutePath).catch(() => undefined)))
      const same = stamps.every((info, j) => {
        const entry = this.record.get(files[i + j]!.key)
        return info && entry && info.size === entry.size && info.mtimeMs === entry.mtimeMs && info.ctimeMs === entry.ctimeMs && info.ino === entry.ino
      })
      if (!same) return false
    }
    return true
  }

  /**
   * Starts the next change's hashing thread ahead: a thread's start-up (30 ms, 100 to 300 on a busy
   * machine, and 30 to 100 ms of CPU) would otherwise be most of the time from a write to its entries gone.
   * Idle, it keeps nothing alive. At start, a few seconds later, when the dev server's own start is over.
   */
  private prestartThread(delayMs = 0): void {
    const start = () => {
      if (!this.closed) startHashingThreads(1)
    }
    if (delayMs === 0) start()
    else setTimeout(start, delayMs).unref()
  }

  /** After events: the images at or under each path that had one. */
  private async handle(paths: string[]): Promise<void> {
    if (this.closed) return
    const files = new Map<string, ScannedFile>()
    for (const relative of paths) {
      const absolute = path.join(this.options.publicDir, relative)
      const info = await stat(absolute).catch(() => undefined)
      // A folder with an event of its own was created, moved, or removed and made again: watched anew.
      if (!info?.isFile()) this.dropWatchers(relative)
      if (info?.isDirectory()) {
        await this.watchTree(relative)
        for (const file of await this.imagesUnder(relative)) files.set(file.key, file)
      } else if (info?.isFile() && this.isIncluded(relative)) files.set(`/${relative}`, { key: `/${relative}`, absolutePath: absolute })
    }
    // '' is the public folder itself (its watcher failed): every image is in scope.
    const scopes = paths.map((relative) => (relative ? `/${relative}` : ''))
    const inScope = (key: string) => scopes.some((at) => at === '' || key === at || key.startsWith(`${at}/`))
    // Events of other files (a text file, an editor's swap file) change nothing of the record.
    if (files.size === 0 && ![...this.record.keys()].some(inScope)) return
    const changes = await this.compare([...files.values()], inScope)
    await this.prune(changes, '')
    this.prestartThread()
  }

  /** The images of a folder that appeared (or was moved in) while the dev server ran. */
  private async imagesUnder(relative: string): Promise<ScannedFile[]> {
    const entries: Dirent[] = await readdir(path.join(this.options.publicDir, relative), { withFileTypes: true, recursive: true }).catch(() => [])
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.options.publicDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .filter((key) => this.isIncluded(key))
      .map((key) => ({ key: `/${key}`, absolutePath: path.join(this.options.publicDir, key) }))
  }

  /**
   * Hashes `files` (those whose stamp matches the record are not read) and updates the record for the keys
   * in scope: a key in scope that is not among the files, or could not be read, is gone.
   */
  private async compare(files: ScannedFile[], inScope: (key: string) => boolean): Promise<Changes> {
    const before: Record<string, FileDigest> = {}
    for (const [key, entry] of this.record) if (inScope(key)) before[key] = entry
    const hashed = files.length > 0 ? await hashFiles(files, { cache: this.record, threads: 1 }) : { digests: {}, stamps: new Map<string, FileStamp>() }
    const diff = diffImages(before, hashed.digests)
    for (const key of Object.keys(before)) this.record.delete(key)
    for (const [key, digest] of Object.entries(hashed.digests)) this.record.set(key, { ...hashed.stamps.get(key)!, hash: digest.hash })
    return { changed: diff.changed, removed: diff.removed, unproven: diff.added }
  }

  /** Removes the cache entries of every image not shown unchanged, prints what was done, saves the record. */
  private async prune(changes: Changes, when: string, among?: ReadonlySet<string>): Promise<void> {
    const { basePath = '' } = this.options.config
    const src = (key: string) => basePath + key
    const stale = [...changes.changed, ...changes.removed, ...changes.unproven].map(src)
    const naming = () => (this.naming ??= loadCacheNaming(this.options.projectDir, this.options.config, true))
    const result = await pruneImageCache(this.options.cacheDir, stale, naming, { among })
    if (result.wholeCache) this.printWholeCache(changes, result.wholeCache, src)
    else this.printRemoved(changes, result.removed, src, when)
    await this.saveRecord()
  }

  /** One line per changed or removed image; one for all the images the record did not know, if any had entries. */
  private printRemoved(changes: Changes, removed: Map<string, number>, src: (key: string) => string, when: string): void {
    const count = (key: string) => removed.get(src(key)) ?? 0
    const lines = [
      ...changes.changed.map((key) => `${src(key)} changed${when}: ${describeRemoved(count(key))}`),
      ...changes.removed.map((key) => `${src(key)} removed${when}: ${describeRemoved(count(key))}`),
    ]
    // New images have nothing cached: a line only for those that had entries made from unknown bytes.
    const unproven = changes.unproven.filter((key) => count(key) > 0)
    const total = (keys: string[]) => keys.reduce((sum, key) => sum + count(key), 0)
    if (unproven.length > 0)
      lines.push(
        `${listSome(unproven.map(src))}: ${describeRemoved(total(unproven))}, made before this plugin knew ${unproven.length === 1 ? 'its' : 'their'} bytes`,
      )
    if (lines.length <= MAX_LINES) for (const line of lines) this.options.logger.info(`${LOG_PREFIX} ${line}`)
    else {
      const keys = [...changes.changed, ...changes.removed, ...unproven]
      this.options.logger.info(
        `${LOG_PREFIX} ${countOf(keys.length, 'image')} changed or removed${when}: ${describeRemoved(total(keys))} (${listSome(keys.map(src))})`,
      )
    }
  }

  private printWholeCache(changes: Changes, whole: { reason: string; entries: number }, src: (key: string) => string): void {
    const where = path.relative(this.options.projectDir, this.options.cacheDir)
    const images = [...changes.changed, ...changes.removed, ...changes.unproven].map(src)
    const entries = countOf(whole.entries, 'entry', 'entries')
    this.options.logger.warn(`${LOG_PREFIX} removed the whole image cache ${where} (${entries}) for ${listSome(images)}, since ${whole.reason}`)
  }

  private async saveRecord(): Promise<void> {
    const digests: Record<string, FileDigest> = {}
    const stamps = new Map<string, FileStamp>()
    const now = Date.now()
    let racy = false
    for (const [key, { hash, ...stamp }] of this.record) {
      digests[key] = { hash, size: stamp.size }
      // A file changed within the last moments could change again and keep its stamp (hash-cache.ts,
      // "racily clean"): its digest is kept with a stamp that matches nothing, so the next dev server
      // reads it again rather than trusting it, and still knows the bytes its entries were made from.
      // Once that moment has passed, the record is written again with the real stamp.
      const isRacy = Math.max(stamp.mtimeMs, stamp.ctimeMs) > now - RACY_WINDOW_MS
      stamps.set(key, isRacy ? UNKNOWN_STAMP : stamp)
      racy ||= isRacy
    }
    if (racy) setTimeout(() => this.closed || void this.enqueue(() => this.saveRecord()), RACY_WINDOW_MS + 100).unref()
    await saveHashCache(this.options.recordFile, this.options.publicDir, { digests, stamps }, now).catch((error: Error) =>
      this.warnOnce(`could not write ${this.options.recordFile} (${error.message}): the next dev server re-checks every cached image`),
    )
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return
    this.warned.add(message)
    this.options.logger.warn(`${LOG_PREFIX} ${message}`)
  }
}

/** A name inside a folder given relative to the public folder ('' is the public folder itself). */
function joinPath(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name
}
