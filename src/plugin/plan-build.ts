import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { diffImages, type ImageDiff } from '../core/diff.js'
import { hashFiles, type HashFailure, type HashResult } from '../core/hash.js'
import { createManifest, MANIFEST_FILE_NAME, serializeManifest, type Manifest } from '../core/manifest.js'
import { batchCount, planInvalidation } from '../core/plan.js'
import { isDirectory, walkPublicDir, type ScanOptions } from '../core/scan.js'
import { loadHashCache, saveHashCache } from '../shared/hash-cache.js'
import { gitDoesNotIgnore } from '../shared/git.js'
import { countOf, formatBytes, listSome, LOG_PREFIX, type Logger } from '../shared/format.js'
import type { ManifestLoad } from '../shared/load-manifest.js'
import type { ResolvedBuildOptions } from './options.js'
import { createProgressLine } from './progress.js'
import { StrictModeError } from './strict-mode-error.js'
import { remoteSrcImagesOf } from '../core/remote-diff.js'
import type { RemoteStep } from './remote-step.js'

// Bundler plugins and the CLI start the threads ahead, through this module, which they load anyway.
export { startHashingThreads } from '../core/hash.js'

export interface BuildPlanResult {
  manifest: Manifest
  /** Null when nothing was compared (planning off, no baseline, or a baseline that could not be used). */
  diff: ImageDiff | null
  baseline: ManifestLoad | null
  unreadable: HashFailure[]
  /** Folders of the public directory that could not be listed (key '' for the folder itself), and why. */
  unreadableFolders: HashFailure[]
  /** Manifest files written: one per output directory, then the local plan file. */
  written: string[]
  /** Linked folders not entered because they lead back to a folder on the way to them. */
  linkCycles: LinkCycle[]
  /** Bytes read and hashed (files unchanged since the last build are not read). */
  bytesHashed: number
  /** Images whose digest was taken from the last build's cache, unread. */
  reused: number
  /** Walking and hashing the public folder. */
  durationMs: number
  /** Fetching the baseline, alongside the hashing; null when none was fetched. */
  baselineMs: number | null
  /** The remote images the built pages show, fingerprinted; null when they were not looked for (yet). */
  remote?: RemoteStep | null
}

export interface LinkCycle {
  key: string
  /** The real path of the folder the link points to. */
  target: string
}

type WalkReports = Required<Pick<ScanOptions, 'onLinkCycle' | 'onUnreadableFolder'>>

/**
 * Phase 1, at the end of a production build: scan and hash the public images, compare them with the
 * live deployment's manifest, and write the new manifest (plan inside) into each output directory and
 * the local plan file. Warns and carries on where anything is wrong, unless `strict` is set.
 */
export async function planBuild(options: ResolvedBuildOptions, outputDirs: readonly string[], logger: Logger): Promise<BuildPlanResult | undefined> {
  if (!options.active) return undefined
  try {
    return await runPlan(options, outputDirs, logger)
  } catch (error) {
    if (options.strict) throw error
    logger.warn(`${LOG_PREFIX} skipped, the build goes on: ${(error as Error).message}`)
    return undefined
  }
}

async function runPlan(options: ResolvedBuildOptions, outputDirs: readonly string[], logger: Logger): Promise<BuildPlanResult> {
  const computed = await computePlan(options, logger)
  const result: BuildPlanResult = { ...computed, written: [] }
  const defer = options.remote?.source.defer
  if (defer) {
    // The pages are not there yet (Next.js prerenders after its hook): the manifest now, without remote
    // images, where the build copies it from (public/ into an export's out/); then the rest, and the one
    // line. The local plan `apply` reads is written only then: a build that fails after its hook ends without
    // the deferred work, and must not leave a plan of a deployment that will not exist.
    await writeManifestTo(result, outputDirs)
    defer(() =>
      finishWithRemoteImages(result, options, logger).catch((error: Error) => {
        logger.warn(options.strict ? error.message : `${LOG_PREFIX} remote images skipped, the build goes on: ${error.message}`)
        // Strict mode fails the build; the build's own exit is what ends it, with this code.
        if (options.strict) process.exitCode = 1
      }),
    )
    return result
  }
  if (options.remote) await addRemoteImages(result, options, logger)
  await writeManifestTo(result, outputDirs, options.planFile)
  await report(result, options, logger, outputDirs.length > 0)
  return result
}

/** The remote images step once the pages are there, the manifest written again with them, and the one line. */
async function finishWithRemoteImages(result: BuildPlanResult, options: ResolvedBuildOptions, logger: Logger): Promise<void> {
  await addRemoteImages(result, options, logger)
  // The same files again, now with the remote images.
  await writeManifestTo(result, [], options.planFile, result.written.splice(0))
  await report(result, options, logger, true)
}

/** Adds the remote images to the result's manifest and plan; problems are warnings (thrown in strict mode). */
export async function addRemoteImages(result: Omit<BuildPlanResult, 'written'>, options: ResolvedBuildOptions, logger: Logger): Promise<void> {
  const { findRemoteImages } = await import('./remote-step.js')
  const step = await findRemoteImages(options, options.remote!, result.baseline, warnerOf(options, logger))
  result.remote = step
  result.manifest.remote = step.remote
  const remoteSrcImages = options.planning ? remoteSrcImagesOf(step.diff) : []
  if (remoteSrcImages.length > 0) result.manifest.plan.remoteSrcImages = remoteSrcImages
}

/** The one line, and a dry run's list. `inOutput`: the manifest went into an output folder, which git may track. */
async function report(result: BuildPlanResult, options: ResolvedBuildOptions, logger: Logger, inOutput: boolean): Promise<void> {
  // Next.js writes into public/, which git tracks: without an ignore line, every build leaves `?? public/...`.
  const notIgnored = inOutput && (await gitDoesNotIgnore(result.written[0]!))
  logger.info(summarize(result, options, { manifestNotIgnored: notIgnored }))
  const { srcImages, remoteSrcImages = [] } = result.manifest.plan
  const planned = [...srcImages, ...remoteSrcImages]
  if (options.dryRun && planned.length > 0) {
    logger.info(`${LOG_PREFIX} dry run, planned source images:\n${planned.map((src) => `  ${src}`).join('\n')}`)
  }
}

/**
 * Writes a computed manifest into more output directories (a build with several outputs computes it once),
 * and to `planFile` when given. Adds each file to `result.written`.
 */
export async function writeManifestTo(result: BuildPlanResult, outputDirs: readonly string[], planFile?: string, files: string[] = []): Promise<void> {
  // Encoded once for every copy.
  const bytes = Buffer.from(serializeManifest(result.manifest))
  files.push(...outputDirs.map((dir) => path.join(dir, MANIFEST_FILE_NAME)))
  if (planFile) files.push(planFile)
  const fresh = [...new Set(files)].filter((file) => !result.written.includes(file))
  await Promise.all(
    fresh.map(async (file) => {
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, bytes)
    }),
  )
  result.written.push(...fresh)
}

/** How `computePlan` keys the plan, beyond the options. */
export interface PlanChoices {
  /**
   * Key the plan by the baseline's `basePath` when it has one (`image-invalidate plan` without
   * `--base-path`: what is deployed is the best guess of the prefix), else by the options'.
   */
  basePathFromBaseline?: boolean
}

/**
 * Scans, hashes, loads the baseline and diffs, writing nothing: the manifest this build would serve, with
 * its plan. Problems are warnings (thrown as `StrictModeError` in strict mode).
 */
export async function computePlan(options: ResolvedBuildOptions, logger: Logger, choices: PlanChoices = {}): Promise<Omit<BuildPlanResult, 'written'>> {
  const warn = warnerOf(options, logger)
  options.warnings.forEach(warn)
  const started = performance.now()
  // The baseline is fetched while the images are hashed, within its own time budget.
  let baselineMs = 0
  const baselineLoad =
    options.planning && options.baseline ? loadBaselineManifest(options).finally(() => (baselineMs = performance.now() - started)) : Promise.resolve(null)
  const scanned = await scanPublicImages(options, logger)
  const durationMs = performance.now() - started
  reportScanProblems(scanned, options, logger, warn)

  const baseline = await baselineLoad
  const diff = compareWithBaseline(baseline, scanned.hashed.digests, options, warn)
  const basePath = choices.basePathFromBaseline && baseline?.kind === 'found' ? baseline.manifest.basePath : options.basePath
  const { hashed, linkCycles, unreadableFolders } = scanned
  return {
    manifest: manifestOf(options, basePath, hashed, baseline, diff),
    diff,
    baseline,
    unreadable: hashed.failures,
    unreadableFolders,
    linkCycles,
    bytesHashed: hashed.bytes,
    reused: hashed.reused,
    durationMs,
    baselineMs: baseline ? baselineMs : null,
  }
}

/** A warning through the logger, or, in strict mode, the error that fails the build. */
function warnerOf(options: ResolvedBuildOptions, logger: Logger): (message: string) => void {
  return (message) => {
    if (options.strict) throw new StrictModeError(`${LOG_PREFIX} ${message} (strict mode)`)
    logger.warn(`${LOG_PREFIX} ${message}`)
  }
}

/** The public folder's images, hashed, and what the walk could not enter or list. */
interface ScannedImages {
  hashed: HashResult
  linkCycles: LinkCycle[]
  unreadableFolders: HashFailure[]
}

async function scanPublicImages(options: ResolvedBuildOptions, logger: Logger): Promise<ScannedImages> {
  const { publicDir } = options
  const scanned: ScannedImages = { hashed: { digests: {}, stamps: new Map(), failures: [], bytes: 0, reused: 0 }, linkCycles: [], unreadableFolders: [] }
  const reports: WalkReports = {
    onLinkCycle: (key, target) => scanned.linkCycles.push({ key, target }),
    onUnreadableFolder: (key, reason) => scanned.unreadableFolders.push({ key, reason }),
  }
  if (publicDir && (await isDirectory(publicDir))) scanned.hashed = await hashPublicDir(publicDir, options, logger, reports)
  else {
    // Nothing to hash: no worker is started.
    const where = publicDir ? `no public directory at ${relative(options.root, publicDir)}` : 'the public directory is turned off'
    logger.info(`${LOG_PREFIX} ${where}: the manifest lists no images`)
  }
  return scanned
}

/** Folders not entered (a line), folders and images that could not be read (warnings: they go missing from the manifest). */
function reportScanProblems(
  { hashed, linkCycles, unreadableFolders }: ScannedImages,
  options: ResolvedBuildOptions,
  logger: Logger,
  warn: (message: string) => void,
): void {
  if (linkCycles.length > 0) {
    const list = listSome(linkCycles.map(({ key, target }) => `${key} -> ${relative(options.publicDir!, target) || '.'}`))
    logger.info(`${LOG_PREFIX} not entered: ${countOf(linkCycles.length, 'linked folder')} leading back to a folder on the way (a cycle): ${list}`)
  }
  if (unreadableFolders.length > 0) {
    const list = listSome(unreadableFolders.map(({ key, reason }) => `${key || 'the public directory itself'} (${withoutPath(reason)})`))
    warn(
      `could not list ${countOf(unreadableFolders.length, 'folder')}, whose images are left out of the manifest ` +
        `and invalidated if the live deployment has them: ${list}`,
    )
  }
  if (hashed.failures.length > 0) {
    const list = listSome(hashed.failures.map((failure) => `${failure.key} (${withoutPath(failure.reason)})`))
    warn(`could not read ${countOf(hashed.failures.length, 'image')}, left out of the manifest and invalidated if the live deployment has them: ${list}`)
  }
}

/** The diff with a baseline that was found; null, with a warning where one is due, otherwise. */
function compareWithBaseline(
  baseline: ManifestLoad | null,
  digests: HashResult['digests'],
  options: ResolvedBuildOptions,
  warn: (message: string) => void,
): ImageDiff | null {
  if (baseline?.kind === 'found') return diffImages(baseline.manifest.images, digests)
  if (baseline?.kind === 'invalid' || baseline?.kind === 'unreachable') {
    const budget = baseline.kind === 'unreachable' && baseline.timedOut ? ' (the baselineTimeoutMs option)' : ''
    warn(`baseline ${baseline.source} ${baseline.reason}${budget}: nothing planned for this build`)
  } else if (baseline?.kind === 'missing' && options.baselineGivenBy) {
    // The default production URL answering 404 is a first deploy; a baseline named by hand is a mistake.
    warn(`baseline ${baseline.source}, given by ${options.baselineGivenBy}, was not found (${baseline.reason}): nothing planned for this build`)
  }
  return null
}

function manifestOf(options: ResolvedBuildOptions, basePath: string, hashed: HashResult, baseline: ManifestLoad | null, diff: ImageDiff | null): Manifest {
  return createManifest({
    buildId: options.buildId,
    basePath,
    images: hashed.digests,
    plan: {
      baseline: baseline?.kind === 'found' ? baseline.manifest.buildId : null,
      srcImages: diff ? planInvalidation(diff, basePath) : [],
      ...(options.dryRun ? { dryRun: true as const } : {}),
      ...(hashed.failures.length > 0 ? { unreadable: hashed.failures.map((failure) => failure.key) } : {}),
    },
  })
}

/** Hashes the images of the public directory as the walk finds them, with the last build's digests. */
async function hashPublicDir(publicDir: string, options: ResolvedBuildOptions, logger: Logger, reports: WalkReports): Promise<HashResult> {
  const cache = options.cacheFile ? await loadHashCache(options.cacheFile, publicDir) : undefined
  // The manifest itself never counts, whatever `include` says: it changes on every build.
  const files = walkPublicDir(publicDir, { include: options.include, exclude: [...options.exclude, MANIFEST_FILE_NAME], ...reports })
  const progress = createProgressLine()
  const hashed = await hashFiles(files, { cache, onProgress: progress.update }).finally(progress.finish)
  if (options.cacheFile) {
    // Only a speed-up for the next build: failing to keep it is worth a line, never the plan.
    await saveHashCache(options.cacheFile, publicDir, hashed).catch((error: Error) => {
      logger.warn(`${LOG_PREFIX} could not keep the digest cache (${error.message}); the next build hashes every image`)
    })
  }
  return hashed
}

async function loadBaselineManifest(options: ResolvedBuildOptions): Promise<ManifestLoad> {
  // The HTTP client is loaded only by a build that fetches a baseline.
  const { loadManifest } = await import('../shared/load-manifest.js')
  return loadManifest(options.baseline!, { headers: options.baselineHeaders, fresh: true, timeoutMs: options.baselineTimeoutMs })
}

/**
 * One line: what was hashed, what it was compared with, what is planned, where it went (and, when git does
 * not ignore the manifest written there, that it should).
 */
export function summarize(
  result: Omit<BuildPlanResult, 'written'> & { written?: string[] },
  options: ResolvedBuildOptions,
  notes: { manifestNotIgnored?: boolean } = {},
): string {
  const count = Object.keys(result.manifest.images).length
  const unchanged = result.reused > 0 ? `, ${result.reused} unchanged since the last build and not read` : ''
  const baselineTime = result.baselineMs === null ? '' : `, baseline fetched in ${Math.round(result.baselineMs)} ms alongside`
  const parts = [
    `${countOf(count, 'image')} (${formatBytes(result.bytesHashed)} read) hashed in ${Math.round(result.durationMs)} ms${unchanged}${baselineTime}`,
  ]
  // Said only for a build whose pages show remote images: the line of any other reads as before.
  if (result.remote && showsRemoteImages(result.remote)) parts.push(describeRemoteStep(result.remote))
  const { baseline, diff } = result
  if (!options.planning) parts.push(options.planningReason)
  else if (!baseline) parts.push('no baseline configured (set IMAGE_INVALIDATE_BASELINE or IMAGE_INVALIDATE_SITE_URL): nothing planned')
  else if (baseline.kind === 'missing' && options.baselineGivenBy) parts.push(`baseline given by ${options.baselineGivenBy} not found: nothing planned`)
  else if (baseline.kind === 'missing') parts.push(`no baseline at ${baseline.source} (${baseline.reason}), a first deploy: nothing to invalidate`)
  else if (diff) {
    const { srcImages, remoteSrcImages = [] } = result.manifest.plan
    const planned = srcImages.length + remoteSrcImages.length
    const batches = batchCount(planned)
    const remoteDiff = result.remote?.diff
    const remote =
      remoteDiff && remoteDiff.changed.length + remoteDiff.removed.length > 0
        ? `; remote: ${remoteDiff.changed.length} changed, ${remoteDiff.removed.length} no longer shown`
        : ''
    parts.push(
      `vs ${result.manifest.plan.baseline}: ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.added.length} added${remote}` +
        ` -> ${countOf(planned, 'source image')} to invalidate in ${countOf(batches, 'call')}`,
    )
  } else parts.push('baseline unusable: nothing planned')
  if (result.written?.length) {
    const manifest = relative(options.root, result.written[0]!)
    parts.push(notes.manifestNotIgnored ? `manifest ${manifest}, which git does not ignore: add ${MANIFEST_FILE_NAME} to .gitignore` : `manifest ${manifest}`)
  }
  return `${LOG_PREFIX} ${parts.join('; ')}`
}

function showsRemoteImages(step: RemoteStep): boolean {
  const { run } = step
  return Object.keys(run.fingerprints).length + run.failures.length + run.excluded.length + step.notAllowed.length > 0
}

/** The remote part of the build's one line: what was fingerprinted, in how long, against which budget. */
function describeRemoteStep(step: RemoteStep): string {
  const { run } = step
  const parts = [
    `${countOf(Object.keys(run.fingerprints).length, 'remote image')} fingerprinted in ${Math.round(run.durationMs)} ms (budget ${step.budgetMs} ms`,
  ]
  if (run.notModified > 0) parts.push(`${run.notModified} unchanged by conditional request`)
  if (run.failures.length > 0) parts.push(`${run.failures.length} not fingerprinted`)
  if (run.excluded.length > 0) parts.push(`${run.excluded.length} on a private address left out`)
  if (step.notAllowed.length > 0) parts.push(`${step.notAllowed.length} not allowed by ${step.rulesSource ?? 'any image config'}`)
  return `${parts.join(', ')})`
}

/** A system error's reason without the path it ends with (`ENOENT: no such file or directory, open '/…'`): the key names it. */
function withoutPath(reason: string): string {
  return reason.replace(/, \w+ '[^']*'$/, '')
}

function relative(root: string, file: string): string {
  const rel = path.relative(root, file)
  return rel && !rel.startsWith('..') ? rel : file
}
