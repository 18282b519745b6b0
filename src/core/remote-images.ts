// The remote source images a deployment shows, as its manifest records them: by the URL pages put in `src`
// (`https://cdn.example.com/a.png`, what Vercel keys the variants by and what is sent), each with a
// fingerprint taken at the end of the build. The section has a format version of its own, so that the
// manifest keeps `version: 1` and every reader of it still reads it (an older one ignores the section).
import { isRecord } from './json.js'
import { MAX_SOURCE_IMAGE_LENGTH, sortKeys } from './keys.js'

/** What tells that a remote image's bytes are the same: its origin's validator, else a digest of its bytes. */
export type RemoteFingerprint =
  /** The origin's `ETag`, weak or strong, as it sent it. */
  | { etag: string }
  /** No `ETag`: the origin's `Last-Modified` with the `Content-Length`. */
  | { lastModified: string; size: number }
  /** Neither: the lower-case hex SHA-256 of the bytes, and how many. */
  | { sha256: string; size: number }

/** The format of the `remote` section this package writes and reads. */
export const REMOTE_IMAGES_VERSION = 1

/** The `remote` section of a manifest. */
export interface RemoteImages {
  version: typeof REMOTE_IMAGES_VERSION
  /** By source URL, in key order. */
  images: Record<string, RemoteFingerprint>
  /**
   * Shown by the deployment but not fingerprinted by its build (no answer within the budget, 5xx, too
   * large). `images` then holds the baseline's fingerprint of it, when the baseline had one: the last one
   * known, compared at the flip and by the next build as any other. Absent when none.
   */
  unfingerprinted?: string[]
}

/** Whether two fingerprints say the same bytes. Fingerprints of two kinds (the origin started sending an ETag) differ. */
export function sameFingerprint(a: RemoteFingerprint, b: RemoteFingerprint): boolean {
  if ('etag' in a) return 'etag' in b && a.etag === b.etag
  if ('lastModified' in a) return 'lastModified' in b && a.lastModified === b.lastModified && a.size === b.size
  return 'sha256' in b && a.sha256 === b.sha256 && a.size === b.size
}

/** Why `url` cannot be a remote source image, or undefined when it can: an absolute http(s) URL Vercel takes. */
export function remoteUrlProblem(url: string): string | undefined {
  if (url.length > MAX_SOURCE_IMAGE_LENGTH) return `is longer than ${MAX_SOURCE_IMAGE_LENGTH} characters`
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) return 'is not an absolute http(s) URL'
  // eslint-disable-next-line no-control-regex -- control characters are what this pattern looks for
  if (/[\u0000-\u001f\u007f]/.test(url)) return 'contains a control character'
  return undefined
}

/** The section as `serializeManifest` writes it: keys sorted, `unfingerprinted` sorted and only when not empty. */
export function orderedRemoteImages(remote: RemoteImages): RemoteImages {
  const images: Record<string, RemoteFingerprint> = {}
  for (const url of sortKeys(Object.keys(remote.images))) images[url] = orderedFingerprint(remote.images[url]!)
  const unfingerprinted = remote.unfingerprinted?.length ? sortKeys([...remote.unfingerprinted]) : undefined
  return { images, ...(unfingerprinted ? { unfingerprinted } : {}), version: REMOTE_IMAGES_VERSION }
}

function orderedFingerprint(fingerprint: RemoteFingerprint): RemoteFingerprint {
  if ('etag' in fingerprint) return { etag: fingerprint.etag }
  if ('lastModified' in fingerprint) return { lastModified: fingerprint.lastModified, size: fingerprint.size }
  return { sha256: fingerprint.sha256, size: fingerprint.size }
}

/**
 * The `remote` section of an untrusted manifest. `undefined` when there is none, or when it is of a later
 * format than this package knows (then no remote image is compared, as for a manifest written before
 * remote images were recorded). Returns the problem as a string when the section is of this format and
 * malformed.
 */
export function readRemoteImages(value: unknown, maxImages: number): RemoteImages | undefined | string {
  if (value === undefined) return undefined
  if (!isRecord(value)) return 'has a "remote" that is not an object'
  if (value.version !== REMOTE_IMAGES_VERSION) return undefined
  if (!isRecord(value.images)) return 'has no "remote.images" object'
  const urls = Object.keys(value.images)
  if (urls.length > maxImages) return `lists ${urls.length} remote images, more than the limit of ${maxImages}`
  const images: Record<string, RemoteFingerprint> = {}
  for (const url of sortKeys(urls)) {
    const problem = remoteUrlProblem(url)
    if (problem) return `has a remote image ${JSON.stringify(url.slice(0, 80))} that ${problem}`
    const fingerprint = readFingerprint(value.images[url])
    if (!fingerprint) return `has a remote image ${JSON.stringify(url.slice(0, 80))} without an "etag", a "lastModified" and "size", or a "sha256" and "size"`
    images[url] = fingerprint
  }
  const { unfingerprinted } = value
  if (unfingerprinted !== undefined && (!Array.isArray(unfingerprinted) || unfingerprinted.some((url) => typeof url !== 'string' || remoteUrlProblem(url)))) {
    return 'has a "remote.unfingerprinted" that is not a list of absolute URLs'
  }
  return { version: REMOTE_IMAGES_VERSION, images, ...(unfingerprinted?.length ? { unfingerprinted: unfingerprinted as string[] } : {}) }
}

const MAX_VALIDATOR_LENGTH = 1024

function readFingerprint(entry: unknown): RemoteFingerprint | undefined {
  if (!isRecord(entry)) return undefined
  const validator = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= MAX_VALIDATOR_LENGTH
  const size = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0
  if (validator(entry.etag)) return { etag: entry.etag as string }
  if (validator(entry.lastModified) && size(entry.size)) return { lastModified: entry.lastModified as string, size: entry.size as number }
  if (typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256) && size(entry.size)) return { sha256: entry.sha256, size: entry.size as number }
  return undefined
}
