import { realpathSync, stat as statCallback, type Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { walk } from '@nodelib/fs.walk'
import picomatch from 'picomatch'

/** The extensions that Vercel Image Optimization takes as source images. */
export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'avif', 'gif', 'svg', 'ico', 'bmp', 'tif', 'tiff'] as const

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
}

export interface ScannedFile {
  /** URL path of the file below the public directory: leading slash, POSIX separators, not encoded. */
  key: string
  absolutePath: string
}

/**
 * Yields the files of a public directory that match `include` and not `exclude`, in batches as the walk
 * finds them and in no set order, so that hashing can start before the walk ends. Batches, not single
 * files: a promise per file costs as much as the walk itself on 20,000 images. Yields nothing when `dir`
 * is not a directory.
 *
 * Symbolic links are followed, because bundlers copy what they point to and that is what gets served.
 * A linked folder is entered once on a path: a link to a folder that is already on the way to it (or that
 * holds one) is a cycle, which would list the same files under ever longer names until the system says
 * ELOOP; it is not entered, and `onLinkCycle` is told.
 * The default include matches extensions case-insensitively (`HERO.PNG` is an image too); user globs are
 * matched as written.
 *
 * The walk is @nodelib/fs.walk, the walker inside fast-glob, with picomatch as the only filter: fast-glob's
 * own matching of every entry against `**` costs four times the walk itself on a folder of 20,000 images
 * (docs/performance.md).
 */
export async function* walkPublicDir(dir: string, options: ScanOptions = {}): AsyncGenerator<ScannedFile[]> {
  if (!(await isDirectory(dir))) return
  const isIncluded = options.include?.length ? picomatch(options.include, { dot: true }) : hasImageExtension
  const exclude = options.exclude ?? []
  const isExcluded = exclude.length > 0 ? picomatch(exclude, { dot: true }) : () => false
  const found: ScannedFile[] = []
  let ended = false
  let wake: () => void = () => {}
  // The real path of each folder entered, by its relative path; links are the only way to a cycle, and
  // the walk stats a link only, so the folders it stats are the linked ones.
  const realPaths = new Map<string, string>([['', realpathSync(dir)]])
  const linkedFolders = new Set<string>()
  const fs = {
    stat(file: string, callback: (error: NodeJS.ErrnoException | null, stats: Stats) => void) {
      statCallback(file, (error, stats) => {
        if (!error && stats.isDirectory()) linkedFolders.add(file)
        callback(error, stats)
      })
    },
  }
  const enters = (relative: string): boolean => {
    const slash = relative.lastIndexOf('/')
    const parent = slash < 0 ? '' : relative.slice(0, slash)
    const full = joinSegments(dir, relative)
    if (!linkedFolders.has(full)) {
      realPaths.set(relative, realPaths.get(parent) + path.sep + relative.slice(slash + 1))
      return true
    }
    let real: string
    try {
      real = realpathSync(full)
    } catch {
      return false // gone since the walk stat'ed it
    }
    // A cycle: the target is a folder on the way here (the root, and each folder down to the link's), or holds one.
    for (let end = 0; end >= 0; end = relative.indexOf('/', end + 1)) {
      const onTheWay = realPaths.get(relative.slice(0, end))!
      if (onTheWay === real || onTheWay.startsWith(real + path.sep)) {
        options.onLinkCycle?.(`/${relative}`, real)
        return false
      }
    }
    realPaths.set(relative, real)
    return true
  }
  // The walk's own callback API, with the entry filter as the place where files are taken: faster than
  // its stream (a Readable push per entry), which moreover never closes when iterated with `for await`.
  walk(
    dir,
    {
      // Relative paths with POSIX separators, whatever the platform: they become keys as they are.
      basePath: '',
      pathSegmentSeparator: '/',
      followSymbolicLinks: true,
      fs,
      // A link whose target is missing is kept (as a link), so that it is reported as unreadable rather
      // than silently taken for a removed image.
      throwErrorOnBrokenSymbolicLink: false,
      entryFilter: ({ dirent, path }) => {
        // Never a folder, and never a FIFO or socket: opening one could block the build.
        if ((dirent.isFile() || dirent.isSymbolicLink()) && isIncluded(path) && !isExcluded(path)) {
          const key = `/${path}`
          found.push({ key, absolutePath: absolutePathOf(dir, key) })
          wake()
        }
        return false
      },
      deepFilter: ({ path }) => !isExcluded(path) && enters(path),
      // No error ends the walk (so the callback never gets one): an unreadable folder must not end the scan.
      errorFilter: () => true,
    },
    () => {
      ended = true
      wake()
    },
  )
  while (true) {
    if (found.length > 0) yield found.splice(0)
    else if (ended) return
    else await new Promise<void>((resolve) => (wake = resolve))
  }
}

/** The full path the walk gives a relative one (its own join: '/' between, none doubled). */
function joinSegments(dir: string, relative: string): string {
  return dir.endsWith('/') ? dir + relative : `${dir}/${relative}`
}

const IMAGE_EXTENSION_SET: ReadonlySet<string> = new Set(IMAGE_EXTENSIONS)

/**
 * The default include, `DEFAULT_INCLUDE` matched case-insensitively, as a set lookup: on 20,000 images the
 * glob's regular expression costs a third of the walk.
 */
export function hasImageExtension(path: string): boolean {
  const dot = path.lastIndexOf('.')
  return dot > path.lastIndexOf('/') && IMAGE_EXTENSION_SET.has(path.slice(dot + 1).toLowerCase())
}

/**
 * The file of `key` in the public directory `dir` (absolute). Keys are POSIX paths, which every platform's
 * fs calls take; joined by hand because path.join costs too much on tens of thousands of files.
 */
export function absolutePathOf(dir: string, key: string): string {
  return (dir.endsWith(path.sep) ? dir : dir + path.sep) + key.slice(1)
}

export async function isDirectory(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined)
  return info?.isDirectory() ?? false
}
