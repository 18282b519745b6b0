import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type picomatchType from 'picomatch'

/** The extensions that Vercel Image Optimization takes as source images. */
const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'avif', 'gif', 'svg', 'ico', 'bmp', 'tif', 'tiff'] as const

export const DEFAULT_INCLUDE = [`**/*.{${IMAGE_EXTENSIONS.join(',')}}`]

export interface ScanOptions {
  /** Globs (relative to the public directory) of the files to hash. Default: the image extensions. */
  include?: string[]
  /** Globs of the files to leave out; matching directories are not walked. */
  exclude?: string[]
  /**
   * Told of each linked folder not entered because it leads back to a folder on the way to it (a cycle,
   * as `public/a/loop -> ..`): its key, and the folder it points to.
   */
  onLinkCycle?: (key: string, target: string) => void
  /** Told of each folder that could not be listed (`EACCES` ...): its key ('' for the root), and why. */
  onUnreadableFolder?: (key: string, reason: string) => void
}

export interface ScannedFile {
  /** URL path of the file below the public directory: leading slash, POSIX separators, not encoded. */
  key: string
  absolutePath: string
}

/** Files per batch yielded. */
const BATCH_FILES = 256

/** Longest the walk keeps the event loop before letting timers and sockets run (a baseline fetch, progress). */
const SLICE_MS = 10

/** A folder waiting to be listed, with the real paths of the folders on the way to it. */
interface Folder {
  /** Relative path with a trailing slash ('' for the root). */
  relative: string
  real: string
  parent: Folder | undefined
}

/**
 * Yields the files of a public directory that match `include` and not `exclude`, in batches and in key
 * order (`sortKeys`), so that hashing starts before the walk ends and the digests come out in the order a
 * manifest lists them, with nothing to sort. Yields nothing when `dir` is not a directory.
 *
 * Symbolic links are followed, because bundlers copy what they point to and that is what gets served.
 * A linked folder is entered once on a path: a link to a folder that is already on the way to it (or that
 * holds one) is a cycle, which would list the same files under ever longer names until the system says
 * ELOOP; it is not entered, and `onLinkCycle` is told. A link whose target is missing is kept, so that
 * hashing reports it rather than taking it for a removed image; a FIFO or socket is never taken, since
 * opening one could block the build.
 * Every glob, the default include's and the user's, matches case-insensitively (see `matcherOf`).
 *
 * Depth first, each folder listed with one synchronous call (one system call, no thread-pool round trip)
 * and its entries sorted, in slices of at most `SLICE_MS` between which the event loop runs. On 20,000
 * images this takes a third less of the main thread than @nodelib/fs.walk (the walker inside fast-glob)
 * did, which moreover gave files in no set order (docs/performance.md).
 */
export async function* walkPublicDir(dir: string, options: ScanOptions = {}): AsyncGenerator<ScannedFile[]> {
  if (!(await isDirectory(dir))) return
  const isIncluded = options.include?.length ? matcherOf(options.include) : hasImageExtension
  const isExcluded = matcherOf(options.exclude ?? [])
  const root = dir.endsWith(path.sep) ? dir : dir + path.sep
  // What is left to do, last first: folders to list, and relative paths of files to take.
  const pending: Array<Folder | string> = [{ relative: '', real: realpathSync(dir), parent: undefined }]
  let found: ScannedFile[] = []
  let slice = performance.now()
  while (pending.length > 0) {
    const next = pending.pop()!
    if (typeof next !== 'string') listFolder(next, root, pending, isIncluded, isExcluded, options)
    else {
      found.push({ key: `/${next}`, absolutePath: root + next })
      if (found.length < BATCH_FILES) continue
      yield found
      found = []
    }
    if (performance.now() - slice > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve))
      slice = performance.now()
    }
  }
  if (found.length > 0) yield found
}

/**
 * Lists one folder onto `pending`, in reverse key order so that popping takes them in key order. Folders
 * sort as their name and a slash: `a.png` comes before `a/b.png`, as in keys ("." sorts before "/").
 */
function listFolder(
  folder: Folder,
  root: string,
  pending: Array<Folder | string>,
  isIncluded: (path: string) => boolean,
  isExcluded: (path: string) => boolean,
  options: ScanOptions,
): void {
  let entries: Dirent[]
  try {
    entries = readdirSync(root + folder.relative, { withFileTypes: true })
  } catch (error) {
    options.onUnreadableFolder?.(folder.relative ? `/${folder.relative.slice(0, -1)}` : '', (error as Error).message)
    return
  }
  const names: string[] = []
  const linked = new Set<string>()
  for (const entry of entries) {
    let isFolder = entry.isDirectory()
    if (entry.isSymbolicLink()) {
      // Followed; a link whose target is missing or unreadable is kept as a file, for hashing to report.
      const target = statOfLink(root + folder.relative + entry.name)
      if (target?.isDirectory()) {
        isFolder = true
        linked.add(entry.name)
      } else if (target && !target.isFile()) continue
    } else if (!isFolder && !entry.isFile()) continue
    const relative = folder.relative + entry.name
    if (isFolder) {
      if (!isExcluded(relative)) names.push(`${entry.name}/`)
    } else if (isIncluded(relative) && !isExcluded(relative)) names.push(entry.name)
  }
  names.sort()
  for (let i = names.length - 1; i >= 0; i--) {
    const name = names[i]!
    if (!name.endsWith('/')) {
      pending.push(folder.relative + name)
      continue
    }
    const relative = folder.relative + name
    const entryName = name.slice(0, -1)
    const isLink = linked.has(entryName)
    const real = isLink ? realPathOfLink(root + relative) : folder.real + path.sep + entryName
    if (real === undefined) continue // gone since it was listed
    if (isLink && leadsBack(folder, real)) options.onLinkCycle?.(`/${relative.slice(0, -1)}`, real)
    else pending.push({ relative, real, parent: folder })
  }
}

/** Whether `real` is a folder on the way to `folder` (the root and each folder down to it), or holds one. */
function leadsBack(folder: Folder, real: string): boolean {
  for (let on: Folder | undefined = folder; on; on = on.parent) {
    if (on.real === real || on.real.startsWith(real + path.sep)) return true
  }
  return false
}

function statOfLink(file: string): Stats | undefined {
  try {
    return statSync(file)
  } catch {
    return undefined // missing, a loop of links (ELOOP), or not ours to read
  }
}

function realPathOfLink(file: string): string | undefined {
  try {
    return realpathSync(file)
  } catch {
    return undefined
  }
}

const loadPicomatch = () => createRequire(import.meta.url)('picomatch') as typeof picomatchType

/** A pattern without glob syntax, which matches one path: itself, in any case. */
const LITERAL_PATTERN = /^(?!\.\/)[^*?[\]{}()!\\]+$/

/**
 * A test of relative paths against globs, as picomatch matches them (dotfiles included), case-insensitively
 * as the default include is: whoever writes `**\/*.jpg` means JPEG files, the camera's `IMG_0001.JPG` too,
 * and an image left out by its name's case would keep its stale variants with nothing to say so. `exclude`
 * keeps the same rule, so that a glob means one thing in either. Patterns without glob syntax (a file named
 * in `exclude`, the manifest the build leaves out) are a set lookup: one picomatch matcher tried on every
 * file of 20,000 costs a third of the walk. picomatch itself is loaded only for a real glob: with the
 * default options, no build pays its 8 ms of loading.
 */
export function matcherOf(globs: readonly string[]): (relativePath: string) => boolean {
  const isLiteral = (glob: string) => LITERAL_PATTERN.test(glob) && !glob.endsWith('/')
  const literals = new Set(globs.filter(isLiteral).map((glob) => glob.toLowerCase()))
  // Only a path of a literal's length (as written or lower-cased: `İ` lower-cased is two code units) is
  // lower-cased to be looked up: nearly none, on every build.
  const lengths = new Set(globs.filter(isLiteral).flatMap((glob) => [glob.length, glob.toLowerCase().length]))
  const isLiteralMatch = (relativePath: string) => lengths.has(relativePath.length) && literals.has(relativePath.toLowerCase())
  const patterns = globs.filter((glob) => !isLiteral(glob))
  const isMatch = patterns.length > 0 ? loadPicomatch()(patterns, { dot: true, nocase: true }) : () => false
  return literals.size > 0 ? (relativePath) => isLiteralMatch(relativePath) || isMatch(relativePath) : isMatch
}

const IMAGE_EXTENSION_SET: ReadonlySet<string> = new Set(IMAGE_EXTENSIONS)

/**
 * The default include, `DEFAULT_INCLUDE` matched case-insensitively, as a set lookup: on 20,000 images the
 * glob's regular expression costs a third of the walk.
 */
export function hasImageExtension(relativePath: string): boolean {
  const dot = relativePath.lastIndexOf('.')
  return dot > relativePath.lastIndexOf('/') && IMAGE_EXTENSION_SET.has(relativePath.slice(dot + 1).toLowerCase())
}

export async function isDirectory(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined)
  return info?.isDirectory() ?? false
}
