// `image-invalidate check-remote` and its route form: between deploys, re-fingerprint the remote images the
// live deployment shows and invalidate those whose bytes changed, each change once.
//
// Its state is what it last saw and sent, per URL, for one live deployment: `{ buildId, images }`. Without
// it, every run would compare with the live manifest (taken at build time) and send a change again at every
// run until the next deploy. The state is kept in a store the caller chooses: a file for the CLI (a CI with
// a cache, a server with a disk), and for a Vercel Function, which has no disk between invocations, a
// key-value store such as Vercel's Runtime Cache (`getCache()` of @vercel/functions). A store may lose it
// (eviction, a new region, a new cache): the run then compares with the live manifest again and sends what
// changed since the deploy once more, which is harmless (invalidation marks variants stale), never a change
// missed. A new deployment going live starts a new state: its manifest has fresh fingerprints, and its
// flip sent what differed.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { failureOf, ImageInvalidateError, type Failure } from '../core/errors.js'
import { isRecord } from '../core/json.js'
import { manifestUrl, type Manifest } from '../core/manifest.js'
import { readRemoteImages, sameFingerprint, type RemoteFingerprint } from '../core/remote-images.js'
import { compareKeys } from '../core/keys.js'
import { protectionBypassHeaders, resolveSiteUrl, readFlag } from '../shared/environment.js'
import { writeFileAtomically } from '../shared/files.js'
import { countOf, redactedCopy, secretRedactor } from '../shared/format.js'
import { loadManifest } from '../shared/load-manifest.js'
import { fingerprintRemoteImages } from '../shared/remote-fingerprints.js'
import type { CheckRemoteOptions, CheckRemoteReport, RemoteStateStore } from '../types.js'
import { invalidateInBatches } from '../vercel/batches.js'
import { VercelClient } from '../vercel/client.js'
import { resolveVercelTarget } from '../vercel/target.js'

/** The key the state is kept under in a store. */
export const REMOTE_STATE_KEY = 'unplugin-image-invalidate:remote-state'
/** Where the CLI keeps the state by default, below the project root. */
export const DEFAULT_REMOTE_STATE_FILE = 'node_modules/.cache/unplugin-image-invalidate/remote-state.json'

const DEFAULTS = { budgetMs: 60_000, requestTimeoutMs: 10_000, concurrency: 16 }

/** What a run keeps: the fingerprints it last saw (and sent, when they changed), for one live deployment. */
interface RemoteState {
  version: 1
  buildId: string
  images: Record<string, RemoteFingerprint>
}

/**
 * Re-fingerprints the live deployment's remote images and invalidates those that changed since the live
 * manifest was built, or since the last run for that deployment. Never throws for an expected failure.
 */
export async function checkRemote(options: CheckRemoteOptions): Promise<CheckRemoteReport> {
  const env = options.env ?? process.env
  const scrub = secretRedactor(env, [options.token])
  const log = (line: string) => options.log?.(scrub(line))
  const dryRun = options.dryRun ?? readFlag(env, 'IMAGE_INVALIDATE_DRY_RUN', []) ?? false
  const report: CheckRemoteReport = { ok: false, dryRun, live: null, checked: 0, changed: [], invalidated: [], failed: [], unreachable: [], calls: [] }
  const finish = (failure?: Failure): CheckRemoteReport => {
    if (failure) Object.assign(report, { error: failure.message, errorCode: failure.code })
    report.ok = !report.error && report.failed.length === 0 && report.invalidated.length === (dryRun ? 0 : report.changed.length)
    return redactedCopy(report, scrub)
  }
  try {
    return finish(await run(options, report, { env, dryRun, log }))
  } catch (error) {
    return finish(failureOf(error))
  }
}

interface RunContext {
  env: NonNullable<CheckRemoteOptions['env']>
  dryRun: boolean
  log: (line: string) => void
}

/** The steps: the live manifest, what was seen last, the fingerprints now, the calls, the new state. Returns the failure to report, if any. */
async function run(options: CheckRemoteOptions, report: CheckRemoteReport, { env, dryRun, log }: RunContext): Promise<Failure | undefined> {
  const root = path.resolve(options.root ?? process.cwd())
  const target = resolveVercelTarget(options, root, env)
  if ('problem' in target && !dryRun) return { code: target.code, message: target.problem }
  const live = await loadLiveManifest(options, env)
  report.live = { source: live.source, buildId: live.manifest.buildId }
  const remote = live.manifest.remote
  if (!remote) {
    log(`the live manifest (${live.manifest.buildId}) records no remote images: nothing to check`)
    return undefined
  }
  const state = readState(await options.store.get(REMOTE_STATE_KEY), live.manifest.buildId)
  const known = { ...remote.images, ...state?.images }
  const urls = [...new Set([...Object.keys(remote.images), ...(remote.unfingerprinted ?? [])])].sort(compareKeys)
  report.checked = urls.length
  const fingerprinted = await fingerprintRemoteImages(urls, {
    budgetMs: options.budgetMs ?? DEFAULTS.budgetMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    previous: known,
    // These are the URLs the build kept: the image config and the private-address rule were applied then.
    allowLocalIP: true,
  })
  report.unreachable = fingerprinted.failures
  report.changed = fingerprinted.changed.sort(compareKeys)
  log(
    `${countOf(urls.length, 'remote image')} of ${live.manifest.buildId} checked in ${Math.round(fingerprinted.durationMs)} ms: ` +
      `${report.changed.length} changed, ${fingerprinted.notModified} unchanged by conditional request, ${fingerprinted.failures.length} not reached`,
  )
  if (dryRun) {
    for (const url of report.changed) log(`  would invalidate ${url}`)
    return undefined
  }
  // Not dry: a target with a problem returned above; said again here for the type.
  if ('problem' in target) return { code: target.code, message: target.problem }
  let failure: Failure | undefined
  if (report.changed.length > 0) {
    const client = new VercelClient(target, { retries: 4 })
    try {
      const sent = await invalidateInBatches(client, report.changed, {
        onCall: (call) => log(`${call.outcome === 'ok' ? 'invalidated' : call.outcome} ${call.srcImages.length}: ${call.srcImages.join(', ')}`),
      })
      Object.assign(report, { invalidated: sent.invalidated, failed: sent.failed, calls: sent.calls })
      failure = sent.fatal
    } finally {
      await client.close()
    }
  }
  await options.store.set(REMOTE_STATE_KEY, nextState(live.manifest, known, fingerprinted.fingerprints, report))
  return failure
}

async function loadLiveManifest(options: CheckRemoteOptions, env: RunContext['env']): Promise<{ source: string; manifest: Manifest }> {
  const warnings: string[] = []
  const siteUrl = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, warnings)
  const source = options.manifest ?? (siteUrl && manifestUrl(siteUrl, options.basePath ?? ''))
  if (!source) {
    throw new ImageInvalidateError(
      'IMAGE_INVALIDATE_NO_LIVE_MANIFEST',
      `no live deployment to check: pass --site URL or --manifest URL|FILE (or set IMAGE_INVALIDATE_SITE_URL)${warnings.length ? ` (${warnings.join('; ')})` : ''}`,
    )
  }
  const loaded = await loadManifest(source, { headers: protectionBypassHeaders(env), fresh: true, timeoutMs: 30_000 })
  if (loaded.kind !== 'found') throw new ImageInvalidateError('IMAGE_INVALIDATE_LIVE_MANIFEST_UNREADABLE', `the live manifest ${source} ${loaded.reason}`)
  return { source, manifest: loaded.manifest }
}

/** The stored state, when it is of this deployment and readable; otherwise none (the run compares with the manifest). */
function readState(value: unknown, buildId: string): RemoteState | undefined {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return undefined
    }
  }
  if (!isRecord(value) || value.version !== 1 || value.buildId !== buildId) return undefined
  const images = readRemoteImages({ version: 1, images: value.images }, 1_000_000)
  return typeof images === 'object' && images ? { version: 1, buildId, images: images.images } : undefined
}

/**
 * What the next run compares with: each image's fingerprint now when it is unchanged or its change was
 * sent; what was known before when its change could not be sent (the next run sends it) or it was not reached.
 */
function nextState(
  manifest: Manifest,
  known: Record<string, RemoteFingerprint>,
  now: Record<string, RemoteFingerprint>,
  report: CheckRemoteReport,
): RemoteState {
  const sent = new Set(report.invalidated)
  const images: Record<string, RemoteFingerprint> = {}
  for (const url of new Set([...Object.keys(known), ...Object.keys(now)])) {
    const before = known[url]
    const current = now[url]
    const kept = current && (!before || sameFingerprint(before, current) || sent.has(url)) ? current : before
    if (kept) images[url] = kept
  }
  return { version: 1, buildId: manifest.buildId, images }
}

/** A store in one JSON file, written whole (to a temporary file, then renamed): for the CLI. */
export function fileStore(file: string): RemoteStateStore {
  return {
    async get() {
      try {
        return JSON.parse(await readFile(file, 'utf8')) as unknown
      } catch {
        return null
      }
    },
    async set(_key, value) {
      await writeFileAtomically(file, `${JSON.stringify(value, null, 2)}\n`)
    },
  }
}
