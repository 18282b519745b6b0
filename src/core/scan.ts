import { stat } from 'node:fs/promises'
import path from 'node:path'
import fg, { type Entry } from 'fast-glob'
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
 * Yields the files of a public directory that match `include` and not `exclude`, as the walk finds them
 * and in no set order, so that hashing can start before the walk ends. Yields nothing when `dir` is not a
 * directory.
 *
 * Symbolic links are followed, because bundlers copy what they point to and that is what gets served.
 * The default include matches extensions case-insensitively (`HERO.PNG` is an image too); user globs are
 * matched as written.
 */
export async function* walkPublicDir(dir: string, options: ScanOptions = {}): AsyncGenerator<ScannedFile> {
  if (!(await isDirectory(dir))) return
  const include = options.include?.length ? options.include : DEFAULT_INCLUDE
  const isIncluded = picomatch(include, { dot: true, nocase: include === DEFAULT_INCLUDE })
  const entries = fg.stream('**/*', {
    cwd: dir,
    dot: true,
    // Files and links. A link whose target is missing is kept, so that it is reported as unreadable
    // rather than silently taken for a removed image.
    onlyFiles: false,
    objectMode: true,
    followSymbolicLinks: true,
    ignore: options.exclude ?? [],
    // A loop of links or an unreadable folder must not end the scan.
    suppressErrors: true,
    // One pattern cannot match a path twice: skip the set that removes duplicates.
    unique: false,
  })
  for await (const entry of entries as AsyncIterable<Entry>) {
    // Never a folder, and never a FIFO or socket: opening one could block the build.
    const { dirent } = entry
    if (!(dirent.isFile() || dirent.isSymbolicLink()) || !isIncluded(entry.path)) continue
    const key = `/${entry.path}`
    yield { key, absolutePath: absolutePathOf(dir, key) }
  }
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
