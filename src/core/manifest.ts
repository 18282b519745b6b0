import { ImageInvalidateError } from './errors.js'
import { basePathProblem, keyProblem, sortKeys } from './keys.js'
import type { FileDigest } from './hash.js'
import { isRecord } from './json.js'
import { isUrl, withoutTrailingSlashes } from './url.js'
import { orderedRemoteImages, readRemoteImages, remoteUrlProblem, type RemoteImages } from './remote-images.js'

export const MANIFEST_VERSION = 1
export const MANIFEST_FILE_NAME = '_image-invalidate.json'

/** What one build plans to invalidate once its deployment is live. */
export interface InvalidationPlan {
  /** `buildId` of the manifest this build was compared with; null when there was none. */
  baseline: string | null
  /** Source-image strings (basePath included), sorted, each once. */
  srcImages: string[]
  /**
   * The build was a dry run (`dryRun` or `IMAGE_INVALIDATE_DRY_RUN`): `apply` sends nothing for it. Absent
   * otherwise, so that a manifest of a normal build reads as it always did.
   */
  dryRun?: true
  /**
   * Images of the public folder that could not be read: left out of `images`, and planned if the baseline
   * had them. Absent when every image was read.
   */
  unreadable?: string[]
  /**
   * Remote source images (URLs) whose fingerprint changed since the baseline, or that this build no longer
   * shows: sent with `srcImages` when `apply` falls back to the build-time plan. Absent when none.
   */
  remoteSrcImages?: string[]
}

/** The document a deployment serves at `/_image-invalidate.json`: its images, and the plan it carries. */
export interface Manifest {
  version: typeof MANIFEST_VERSION
  buildId: string
  createdAt: string
  algorithm: 'sha256'
  basePath: string
  images: Record<string, FileDigest>
  plan: InvalidationPlan
  /**
   * The remote source images the built output shows, fingerprinted (a section with a format version of its
   * own: an older reader ignores it). Absent when the build did not look for them.
   */
  remote?: RemoteImages
}

/**
 * Where a site or deployment serves its manifest: `<origin><basePath>/_image-invalidate.json`. A
 * deployment's `url` is a host (`https://` is added); an origin with its scheme is used as it is.
 */
export function manifestUrl(url: string, basePath: string): string {
  const origin = isUrl(url) ? withoutTrailingSlashes(url) : `https://${url}`
  return `${origin}${basePath}/${MANIFEST_FILE_NAME}`
}

/** A manifest of `images`, by key, in any order: `serializeManifest` writes them in key order. */
export function createManifest(input: {
  buildId: string
  basePath: string
  images: Record<string, FileDigest>
  plan: InvalidationPlan
  remote?: RemoteImages
  createdAt?: Date
}): Manifest {
  return {
    version: MANIFEST_VERSION,
    buildId: input.buildId,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    algorithm: 'sha256',
    basePath: input.basePath,
    images: input.images,
    plan: input.plan,
    ...(input.remote ? { remote: input.remote } : {}),
  }
}

/**
 * `images` when its keys are in key order, as `walkPublicDir` and `parseManifest` give them, else a copy
 * that is: `JSON.stringify` keeps insertion order (no key is an array index: image keys all start with "/").
 */
function inKeyOrder(images: Readonly<Record<string, FileDigest>>): Readonly<Record<string, FileDigest>> {
  const keys = Object.keys(images)
  if (keys.every((key, i) => i === 0 || keys[i - 1]! < key)) return images
  return Object.fromEntries(sortKeys(keys).map((key) => [key, images[key]!]))
}

/**
 * The manifest as JSON with every object's keys sorted, indented: the same manifest always gives the same
 * bytes, and a diff of two manifests reads line by line. Written by `JSON.stringify` over objects built in
 * sorted order: on 20,000 images it is 20 ms, against 30 to 40 for the same text assembled line by line.
 */
export function serializeManifest(manifest: Manifest): string {
  const { plan } = manifest
  const ordered = {
    algorithm: manifest.algorithm,
    basePath: manifest.basePath,
    buildId: manifest.buildId,
    createdAt: manifest.createdAt,
    images: inKeyOrder(manifest.images),
    plan: {
      baseline: plan.baseline,
      ...(plan.dryRun ? { dryRun: true } : {}),
      srcImages: plan.srcImages,
      ...(plan.unreadable ? { unreadable: plan.unreadable } : {}),
      ...(plan.remoteSrcImages?.length ? { remoteSrcImages: plan.remoteSrcImages } : {}),
    },
    ...(manifest.remote ? { remote: orderedRemoteImages(manifest.remote) } : {}),
    version: manifest.version,
  }
  return `${JSON.stringify(ordered, null, 2)}\n`
}

/** A manifest that is not what this package writes. The message says what is wrong, not where it came from. */
export class ManifestError extends ImageInvalidateError {
  override name = 'ManifestError'
  constructor(message: string, options?: ErrorOptions) {
    super('IMAGE_INVALIDATE_MANIFEST_INVALID', message, options)
  }
}

export interface ParseLimits {
  /** Most images a manifest may list. */
  maxImages?: number
}

const DEFAULT_MAX_IMAGES = 1_000_000
const MAX_ID_LENGTH = 256
const MAX_PLANNED_LENGTH = 64 * 1024

/**
 * Parses and validates a manifest from untrusted text (it may come from the network). Throws a
 * `ManifestError` naming the first problem; never returns a half-checked object.
 */
export function parseManifest(text: string, limits: ParseLimits = {}): Manifest {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ManifestError(`is not JSON (${(error as Error).message})`)
  }
  if (!isRecord(data)) throw new ManifestError('is not a JSON object')
  const header = checkHeader(data)
  const images = checkImages(data.images, limits.maxImages ?? DEFAULT_MAX_IMAGES)
  if (!isRecord(data.plan)) throw new ManifestError('has no "plan" object')
  const remote = readRemoteImages(data.remote, limits.maxImages ?? DEFAULT_MAX_IMAGES)
  if (typeof remote === 'string') throw new ManifestError(remote)
  return { ...header, images, plan: checkPlan(data.plan), ...(remote ? { remote } : {}) }
}

/** The fields around the images: version, algorithm, buildId, createdAt, basePath. */
function checkHeader(data: Record<string, unknown>): Omit<Manifest, 'images' | 'plan'> {
  if (data.version !== MANIFEST_VERSION) {
    throw new ManifestError(`has version ${JSON.stringify(data.version)}; this package reads version ${MANIFEST_VERSION}`)
  }
  if (data.algorithm !== 'sha256') throw new ManifestError(`has algorithm ${JSON.stringify(data.algorithm)}, not "sha256"`)
  const buildId = checkId(data.buildId, 'buildId')
  if (typeof data.createdAt !== 'string' || Number.isNaN(Date.parse(data.createdAt))) {
    throw new ManifestError('has no valid "createdAt" date')
  }
  if (typeof data.basePath !== 'string') throw new ManifestError('has no "basePath" string')
  const baseProblem = basePathProblem(data.basePath)
  if (baseProblem) throw new ManifestError(`has a basePath that ${baseProblem}`)
  return { version: MANIFEST_VERSION, buildId, createdAt: data.createdAt, algorithm: 'sha256', basePath: data.basePath }
}

/** The images, in key order, each with a hex SHA-256 and a size. */
function checkImages(value: unknown, maxImages: number): Record<string, FileDigest> {
  if (!isRecord(value)) throw new ManifestError('has no "images" object')
  const keys = Object.keys(value)
  if (keys.length > maxImages) throw new ManifestError(`lists ${keys.length} images, more than the limit of ${maxImages}`)
  const images: Record<string, FileDigest> = {}
  for (const key of sortKeys(keys)) {
    const problem = keyProblem(key)
    if (problem) throw new ManifestError(`has an image key ${JSON.stringify(truncate(key))} that ${problem}`)
    const entry = value[key]
    if (!isRecord(entry) || typeof entry.hash !== 'string' || !/^[0-9a-f]{64}$/.test(entry.hash)) {
      throw new ManifestError(`has an image ${JSON.stringify(truncate(key))} without a 64-digit lower-case hex "hash"`)
    }
    if (!Number.isSafeInteger(entry.size) || (entry.size as number) < 0) {
      throw new ManifestError(`has an image ${JSON.stringify(truncate(key))} without a non-negative integer "size"`)
    }
    images[key] = { hash: entry.hash, size: entry.size as number }
  }
  return images
}

function checkPlan(plan: Record<string, unknown>): InvalidationPlan {
  const baseline = plan.baseline === null ? null : checkId(plan.baseline, 'plan.baseline')
  const { srcImages, unreadable } = plan
  if (!Array.isArray(srcImages)) throw new ManifestError('has no "plan.srcImages" array')
  for (const src of srcImages) {
    // A planned image over Vercel's length limit is reported by `apply`, one image, not the whole plan.
    const problem = typeof src === 'string' ? keyProblem(src, MAX_PLANNED_LENGTH) : 'is not a string'
    if (problem) throw new ManifestError(`has a planned source image ${JSON.stringify(truncate(String(src)))} that ${problem}`)
  }
  if (new Set(srcImages).size !== srcImages.length) throw new ManifestError('lists a planned source image twice')
  if (plan.dryRun !== undefined && typeof plan.dryRun !== 'boolean') throw new ManifestError('has a "plan.dryRun" that is not true or false')
  if (unreadable !== undefined && (!Array.isArray(unreadable) || unreadable.some((key) => typeof key !== 'string' || keyProblem(key) !== undefined))) {
    throw new ManifestError('has a "plan.unreadable" that is not a list of image keys')
  }
  const { remoteSrcImages } = plan
  if (remoteSrcImages !== undefined && (!Array.isArray(remoteSrcImages) || remoteSrcImages.some((url) => typeof url !== 'string' || remoteUrlProblem(url)))) {
    throw new ManifestError('has a "plan.remoteSrcImages" that is not a list of absolute URLs')
  }
  return {
    baseline,
    ...(plan.dryRun === true ? { dryRun: true as const } : {}),
    srcImages: srcImages as string[],
    ...(unreadable ? { unreadable: unreadable as string[] } : {}),
    ...(remoteSrcImages?.length ? { remoteSrcImages: remoteSrcImages as string[] } : {}),
  }
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new ManifestError(`has no valid "${field}" (a string of 1 to ${MAX_ID_LENGTH} characters)`)
  }
  return value
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
