// Reading a build's output for the remote images its pages show: the prerendered pages and payloads of
// each framework's output folders, and, for the watched patterns, its server code and data too.
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { findOptimizedSources, findWatchedUrls, type WatchList } from '../core/remote-discovery.js'
import { isRecord } from '../core/json.js'
import { compareKeys } from '../core/keys.js'

/** Pages and payloads: prerendered HTML, RSC payloads (`.rsc`, `.segment.rsc`), route bodies, JSON data. */
const PAGE_FILES = /\.(?:html?|rsc|body|json|txt)$/i
/** What may hold a URL a page renders on demand: server code and data. Read for the watched patterns only. */
const CODE_FILES = /\.(?:[cm]?js)$/i
/** A text larger than this is no page (a source map, a bundle of data): left unread. */
const MAX_FILE_BYTES = 16 * 1024 * 1024

export interface OutputImages {
  /** Remote source URLs named by optimizer URLs (`/_next/image?url=…`, `/_vercel/image?url=…`), sorted. */
  optimized: string[]
  /** Absolute URLs matching a watched pattern, and the watched URLs themselves, sorted. */
  watched: string[]
  /** Page (and, with watched patterns, code) files looked at. */
  files: number
}

/**
 * Files read at once: a site's output runs to tens of thousands of pages, and one read after another left the
 * disk and the thread pool idle (20,000 pages of 20 KiB here: 4.9 to 5.3 s one at a time, 2.6 to 3.0 s with 16).
 */
const READS_IN_FLIGHT = 16

/** The remote images the output folders `dirs` show (a folder that does not exist is skipped). */
export async function findRemoteImagesInOutput(dirs: readonly string[], watch: WatchList): Promise<OutputImages> {
  const optimized = new Set<string>()
  const watched = new Set<string>(watch.urls)
  const queue = [...new Set((await Promise.all(dirs.map((dir) => textFilesBelow(dir, watch.patterns.length > 0)))).flat())]
  const files = queue.length
  const reader = async () => {
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      const text = await readPage(file)
      if (PAGE_FILES.test(file)) findOptimizedSources(text).forEach((url) => optimized.add(url))
      findWatchedUrls(text, watch.patterns).forEach((url) => watched.add(url))
    }
  }
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, files) }, reader))
  return { optimized: [...optimized].sort(compareKeys), watched: [...watched].sort(compareKeys), files }
}

/** A file's text, unless it is larger than any page (a source map, a bundle of data) or cannot be read: ''. */
async function readPage(file: string): Promise<string> {
  const size = await stat(file).then(
    (info) => info.size,
    () => Infinity,
  )
  return size <= MAX_FILE_BYTES ? readFile(file, 'utf8').catch(() => '') : ''
}

async function textFilesBelow(dir: string, withCode: boolean): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true })
  } catch {
    return []
  }
  const files: string[] = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const parent = entry.parentPath ?? (entry as unknown as { path: string }).path
    const file = path.join(parent, entry.name)
    if (file.includes(`${path.sep}node_modules${path.sep}`) || file.endsWith('.map')) continue
    if (PAGE_FILES.test(file) || (withCode && CODE_FILES.test(file))) files.push(file)
  }
  return files
}

/**
 * The image config Vercel applies to a Build Output: `.vercel/output/config.json` `images` (what the
 * framework's adapter wrote), else `vercel.json` `images` (a project Vercel builds itself), else none.
 */
export async function readVercelImageConfig(root: string): Promise<{ images: unknown; source: string } | undefined> {
  for (const file of [path.join(root, '.vercel/output/config.json'), path.join(root, 'vercel.json')]) {
    let data: unknown
    try {
      data = JSON.parse(await readFile(file, 'utf8'))
    } catch {
      continue
    }
    if (isRecord(data) && data.images !== undefined) return { images: data.images, source: path.relative(root, file) }
  }
  return undefined
}
