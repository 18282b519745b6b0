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
  // The walk's own callback API, with the entry filter as the place where files are taken: faster than
  // its stream (a Readable push per entry), which moreover never closes when iterated with `for await`.
  walk(
    dir,
    {
      // Relative paths with POSIX separators, whatever the platform: they become keys as they are.
      basePath: '',
      pathSegmentSeparator: '/',
      followSymbolicLinks: true,
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
      deepFilter: ({ path }) => !isExcluded(path),
      // No error ends the walk (so the callback never gets one): a loop of links or an unreadable folder
      // must not end the scan.
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
