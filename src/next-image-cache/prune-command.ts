import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { planFlip } from '../core/flip.js'
import { MANIFEST_FILE_NAME, serializeManifest, type Manifest } from '../core/manifest.js'
import { countOf, redactedCopy, secretRedactor } from '../shared/format.js'
import { writeFileAtomically } from '../shared/files.js'
import { loadManifest } from '../shared/load-manifest.js'
import { DEFAULT_PLAN_FILE, protectionBypassHeaders } from '../shared/environment.js'
import { isUrl } from '../core/url.js'
import { resolveVercelTarget } from '../vercel/target.js'
import { loadNamedManifest } from '../vercel/deployment-manifests.js'
import { VercelClient } from '../vercel/client.js'
import { loadCacheNaming, type ImagesConfigInput } from './naming.js'
import { describeRemoved, pruneImageCache } from './prune.js'

/**
 * Beside the cache, the manifest of the release whose images it was last pruned for: the next release's
 * P when `--from` is not given.
 */
export const SERVED_MANIFEST_FILE = 'image-invalidate-manifest.json'

export interface PruneNextCacheOptions {
  /** The project: where `public/` and `node_modules/next` are. Default: the current directory. */
  root?: string
  /** Next.js's `distDir`, relative to `root`. @default '.next' */
  dir?: string
  /**
   * The manifest the build of the release about to be served wrote (D): a file or URL. Default:
   * `public/_image-invalidate.json`, else the local plan file.
   */
  plan?: string
  /**
   * The release the cache was filled by (P): a manifest file, a URL (a site or deployment origin, or the
   * manifest's own), or a Vercel deployment id. Default: the manifest recorded beside the cache at the
   * last prune; without one, every image of D is taken as changed.
   */
  from?: string
  /** Count what would be removed, remove and record nothing. */
  dryRun?: boolean
  env?: Readonly<Record<string, string | undefined>>
  /** Progress lines. Default: none. */
  log?: (line: string) => void
}

export interface PruneNextCacheReport {
  /** False when D could not be read, or the cache could not be pruned. */
  ok: boolean
  dryRun: boolean
  cacheDir: string
  /** D: where its manifest came from, and its build. */
  next: { source: string; buildId: string } | null
  /** P: how it was found and its build; null when unknown (then every image of D is in `srcImages`). */
  previous: { via: string; buildId: string } | null
  /** The source images whose entries were looked for: changed, removed or added between P and D. */
  srcImages: string[]
  /** Entries removed (or, in a dry run, that would be), by source image; only those with any. */
  removed: Record<string, number>
  total: number
  /** Set when the whole cache folder was removed instead, and why. */
  wholeCache?: { reason: string; entries: number }
  /** Set when Next.js keeps its images elsewhere (a custom cacheHandler): nothing on disk to prune. */
  skipped?: string
  error?: string
}

/**
 * For a self-hosted `next start` that keeps `<distDir>/cache` between releases: removes from Next.js's
 * image cache exactly the entries of the source images that changed, went or appeared between the
 * release that filled it (P) and the one about to serve (D), the set `apply` sends to Vercel at a flip,
 * then records D's manifest beside the cache as the next release's P. Never throws for an expected failure.
 */
export async function pruneNextCache(options: PruneNextCacheOptions = {}): Promise<PruneNextCacheReport> {
  const root = path.resolve(options.root ?? process.cwd())
  const env = options.env ?? process.env
  // A --from URL may carry a secret in its query, as apply's may: the same filter over the log and the report.
  const scrub = secretRedactor(env)
  const log = (line: string) => options.log?.(scrub(line))
  const distDir = path.resolve(root, options.dir ?? '.next')
  const servedFile = path.join(distDir, 'cache', SERVED_MANIFEST_FILE)
  const dryRun = options.dryRun ?? false
  const report: PruneNextCacheReport = {
    ok: false,
    dryRun,
    cacheDir: path.join(distDir, 'cache', 'images'),
    next: null,
    previous: null,
    srcImages: [],
    removed: {},
    total: 0,
  }
  const finish = (error?: string): PruneNextCacheReport => {
    if (error) report.error = error
    report.ok = !error
    return redactedCopy(report, scrub)
  }
  try {
    const loaded = await loadReleaseManifest(options.plan, root)
    if ('problem' in loaded) return finish(loaded.problem)
    const { manifest } = loaded
    report.next = { source: loaded.source, buildId: manifest.buildId }
    // Checked before anything is written: a mistyped --dir must not become a new folder holding a record.
    const notABuild = buildFolderProblem(distDir)
    if (notABuild) return finish(notABuild)
    const config = await readBuildConfig(distDir)
    if ('problem' in config) log(`warning: ${config.problem}: taking Next.js's default image sizes, qualities and formats`)
    else if (config.customCacheHandler) {
      report.skipped = 'images.customCacheHandler is on: Next.js keeps optimized images in your cacheHandler, which this command does not reach'
      log(report.skipped)
      return finish()
    }
    const previous = await loadCacheFillerManifest(options.from, servedFile, manifest, root, env, log)
    report.previous = previous ? { via: previous.via, buildId: previous.manifest.buildId } : null
    report.srcImages = previous ? planFlip(previous.manifest, manifest).srcImages : Object.keys(manifest.images).map((key) => manifest.basePath + key)
    const images = countOf(report.srcImages.length, 'source image')
    log(
      previous ? `${previous.manifest.buildId} -> ${manifest.buildId} (previous release from ${previous.via}): ${images}` : `-> ${manifest.buildId}: ${images}`,
    )
    // A build whose server has not optimized an image yet (a first start) has no cache: nothing to remove, and
    // D is recorded all the same, so that the next release is compared with it.
    if (!existsSync(report.cacheDir))
      log(`no image cache yet in ${report.cacheDir}: nothing to remove; ${manifest.buildId} ${dryRun ? 'would be' : 'is'} recorded for the next release`)
    const naming = () => loadCacheNaming(root, 'problem' in config ? {} : config, false)
    const result = await pruneImageCache(report.cacheDir, report.srcImages, naming, { dryRun })
    for (const [src, count] of result.removed) if (count > 0) report.removed[src] = count
    report.total = Object.values(report.removed).reduce((sum, count) => sum + count, 0)
    if (result.wholeCache) report.wholeCache = result.wholeCache
    // D's manifest as the next release's P, atomically: a crash leaves the old record or none.
    if (!dryRun) await writeFileAtomically(servedFile, serializeManifest(manifest))
    return finish()
  } catch (error) {
    return finish((error as Error).message)
  }
}

/** What a prune did, for a person: one line per source image that had entries, then the total. */
export function describePrune(report: PruneNextCacheReport, cwd: string): string {
  const where = path.relative(cwd, report.cacheDir) || report.cacheDir
  const would = report.dryRun ? 'would remove' : 'removed'
  const lines: string[] = []
  if (report.error) lines.push(`error: ${report.error}`)
  else if (report.skipped) lines.push(`nothing removed: ${report.skipped}`)
  else if (report.wholeCache) {
    lines.push(`${would} the whole image cache ${where} (${countOf(report.wholeCache.entries, 'entry', 'entries')}), since ${report.wholeCache.reason}`)
  } else {
    for (const [src, count] of Object.entries(report.removed))
      lines.push(`${src}: ${report.dryRun ? `${countOf(count, 'cached variant')} would be removed` : describeRemoved(count)}`)
    lines.push(`${would} ${countOf(report.total, 'cached variant')} from ${where}, looking for ${whichImages(report)}`)
  }
  return `${lines.join('\n')}\n`
}

/** The source images a prune looked for, as its last line names them: a server has releases, not flips. */
function whichImages(report: PruneNextCacheReport): string {
  const images = countOf(report.srcImages.length, 'source image')
  if (report.previous) return `the ${images} changed, removed or added since ${report.previous.buildId}`
  return `the ${images} of ${report.next?.buildId ?? 'this release'}, with no earlier release to compare with`
}

/**
 * Why `distDir` is not the build `next start` is about to serve, as one sentence with the fix; undefined when it
 * is: it holds the BUILD_ID every `next build` writes (and without which `next start` refuses to start).
 */
function buildFolderProblem(distDir: string): string | undefined {
  const fix = 'run next build first, or pass --dir with your distDir (default .next)'
  if (!existsSync(distDir)) return `the build folder ${distDir} does not exist: ${fix}`
  if (!existsSync(path.join(distDir, 'BUILD_ID'))) return `${distDir} holds no Next.js build (no BUILD_ID in it): ${fix}`
  return undefined
}

/** D: `--plan`, else the manifest the build put in `public/` (what `next start` serves), else the local plan. */
async function loadReleaseManifest(plan: string | undefined, root: string): Promise<{ manifest: Manifest; source: string } | { problem: string }> {
  const candidates =
    plan !== undefined ? [isUrl(plan) ? plan : path.resolve(root, plan)] : [path.join(root, 'public', MANIFEST_FILE_NAME), path.join(root, DEFAULT_PLAN_FILE)]
  const source = candidates.find((candidate) => isUrl(candidate) || existsSync(candidate)) ?? candidates[0]!
  const loaded = await loadManifest(source, { fresh: isUrl(source) })
  if (loaded.kind === 'found') return { manifest: loaded.manifest, source }
  if (loaded.kind === 'missing' && plan === undefined) {
    return { problem: `no manifest at ${candidates.join(' or ')}: run next build with withImageInvalidate first, or pass --plan` }
  }
  return { problem: `the manifest ${source} ${loaded.kind === 'missing' ? `is not there (${loaded.reason})` : loaded.reason}` }
}

/**
 * The config the build resolved, as `next start` will run with it: `required-server-files.json`, which every
 * `next build` writes (standalone output included), so no user code runs here.
 */
async function readBuildConfig(distDir: string): Promise<(ImagesConfigInput & { customCacheHandler: boolean }) | { problem: string }> {
  const file = path.join(distDir, 'required-server-files.json')
  try {
    const { config } = JSON.parse(await readFile(file, 'utf8')) as { config?: { images?: Record<string, unknown>; basePath?: string; cacheHandler?: string } }
    if (!config || typeof config !== 'object') return { problem: `${file} has no config` }
    const customCacheHandler = config.images?.customCacheHandler === true && Boolean(config.cacheHandler)
    return { images: config.images, basePath: config.basePath, customCacheHandler }
  } catch (error) {
    return { problem: `no build config at ${file} (${(error as Error).message.split('\n')[0]})` }
  }
}

/**
 * P, the release whose images fill the cache: `--from` as `apply` takes it; else the manifest recorded at
 * the last prune. Undefined, with a line,
 * when neither gives one: then every image of D is taken as changed, which removes only their entries.
 */
async function loadCacheFillerManifest(
  from: string | undefined,
  served: string,
  next: Manifest,
  root: string,
  env: Readonly<Record<string, string | undefined>>,
  log: (line: string) => void,
): Promise<{ via: string; manifest: Manifest } | undefined> {
  const unknown = (why: string) => {
    log(`${why}: every image of ${next.buildId} counts as changed`)
    return undefined
  }
  if (from !== undefined) {
    const target = resolveVercelTarget({}, root, env)
    // A deployment id is looked up through the API; files and URLs need no token.
    const client = /^dpl_/.test(from) && !('problem' in target) ? new VercelClient(target, { retries: 2 }) : undefined
    try {
      return {
        via: `--from ${from}`,
        manifest: await loadNamedManifest(from, { headers: protectionBypassHeaders(env), basePath: next.basePath, client }, root),
      }
    } catch (error) {
      return unknown(`--from ${from}: ${(error as Error).message}`)
    } finally {
      await client?.close()
    }
  }
  const loaded = await loadManifest(served)
  if (loaded.kind === 'found') return { via: `the manifest recorded at the last prune, ${path.relative(root, served) || served}`, manifest: loaded.manifest }
  if (loaded.kind === 'missing') return unknown(`no --from, and no manifest recorded at ${served} by an earlier prune`)
  return unknown(`no --from, and the manifest recorded at ${served} ${loaded.reason}`)
}
