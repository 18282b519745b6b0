import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createManifest, serializeManifest, type Manifest } from '../../src/core/manifest.js'
import { startSite, type SiteStandIn } from '../stand-ins/site.mjs'
import { afterEach } from 'vitest'
import { apply } from '../../src/apply/apply.js'
import type { ApplyOptions } from '../../src/types.js'
import { startVercelApi, type VercelApiStandIn } from '../stand-ins/vercel-api.mjs'
import { tempDir } from './tmp.js'

/** Image name -> a letter standing for its bytes. */
type Images = Record<string, string>

export interface StandInDeployment {
  id: string
  manifest: Manifest
  /** The folder the deployment serves, its manifest at `_image-invalidate.json`. */
  dir: string
  /** The manifest's file. */
  file: string
  /** The deployment's own URL (a stand-in site), as `GET /v13/deployments/{id}` gives it. */
  site: SiteStandIn
}

/**
 * Deployments as Vercel keeps them: each one's manifest served at its own URL (a loopback stand-in site),
 * known to the API stand-in by id, and a production site that serves whichever is live. `goLive` is a
 * flip: the production site and the project's `targets.production` move together.
 */
export async function createDeployments(api: VercelApiStandIn) {
  const sites: SiteStandIn[] = []
  const production = await startSite()
  sites.push(production)
  const byId = new Map<string, StandInDeployment>()
  return {
    production,
    /** A deployment of `images`, whose build-time plan compared it with `baseline`. */
    async deploy(id: string, images: Images, baseline: StandInDeployment | null = null, extra: { dryRun?: true } = {}): Promise<StandInDeployment> {
      const digests = Object.fromEntries(Object.entries(images).map(([key, bytes]) => [key, { hash: bytes.repeat(64), size: 1 }]))
      const srcImages = baseline
        ? Object.keys(baseline.manifest.images)
            .filter((key) => baseline.manifest.images[key]!.hash !== digests[key]?.hash)
            .sort()
        : []
      const manifest = createManifest({ buildId: id, basePath: '', images: digests, plan: { baseline: baseline?.id ?? null, srcImages, ...extra } })
      const dir = await tempDir()
      const file = path.join(dir, '_image-invalidate.json')
      await mkdir(dir, { recursive: true })
      await writeFile(file, serializeManifest(manifest))
      const site = await startSite({ dir })
      sites.push(site)
      api.setDeployment(id, { readyState: 'READY', aliasAssigned: true, url: site.origin })
      const deployment = { id, manifest, dir, file, site }
      byId.set(id, deployment)
      return deployment
    },
    /** Production flips to `deployment`: the site serves it and the project's production target is it. */
    goLive(deployment: StandInDeployment, lastAliasRequest?: { from: StandInDeployment; type: 'promote' | 'rollback'; jobStatus?: 'succeeded' | 'failed' }) {
      production.serve(deployment.dir)
      api.setProduction(deployment.id, lastAliasRequest && aliasRequest(lastAliasRequest.from, deployment, lastAliasRequest))
    },
    /**
     * A rolling release from `from` to `to` starts: `to` is ROLLING, while the site still serves `from` to
     * most visitors. Vercel does not document which of the two `targets.production` names meanwhile, so
     * `shownAs` picks: `to` with ROLLING ('target'), or `from` until the rollout completes ('base').
     */
    startRollout(from: StandInDeployment, to: StandInDeployment, shownAs: 'target' | 'base' = 'target') {
      production.serve(from.dir)
      api.setSubstate(to.id, 'ROLLING')
      const lastAliasRequest = aliasRequest(from, to, { type: 'promote', jobStatus: 'in-progress' })
      if (shownAs === 'target') api.setProduction(to.id, lastAliasRequest, { readySubstate: 'ROLLING' })
      else api.setProduction(from.id, lastAliasRequest, { readySubstate: 'PROMOTED' })
    },
    /** The rolling release toward `to` completes: `to` serves everyone. */
    completeRollout(from: StandInDeployment, to: StandInDeployment) {
      production.serve(to.dir)
      api.setSubstate(to.id, 'PROMOTED')
      api.setProduction(to.id, aliasRequest(from, to, { type: 'promote', jobStatus: 'succeeded' }), { readySubstate: 'PROMOTED' })
    },
    /**
     * The rolling release toward `to` is aborted: production is `from` again, and `to` keeps PROMOTED (it
     * has seen production traffic). A rollback from a rolling release names its base as `fromDeploymentId`.
     */
    abortRollout(from: StandInDeployment, to: StandInDeployment) {
      production.serve(from.dir)
      api.setSubstate(to.id, 'PROMOTED')
      api.setProduction(from.id, aliasRequest(from, from, { type: 'rollback', jobStatus: 'succeeded' }), { readySubstate: 'PROMOTED' })
    },
    close: () => Promise.all(sites.map((site) => site.close())),
  }
}

function aliasRequest(
  from: StandInDeployment,
  to: StandInDeployment,
  request: { type: 'promote' | 'rollback'; jobStatus?: 'succeeded' | 'failed' | 'in-progress' },
) {
  return { fromDeploymentId: from.id, toDeploymentId: to.id, type: request.type, jobStatus: request.jobStatus ?? 'succeeded' }
}

/** Resolves after `ms`. */
export const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Resolves once `site` has answered `count` more requests than it has now: the deployment it serves now
 * has been seen by whoever polls it, however slow the machine.
 */
export async function seenBy(site: { requests: readonly unknown[] }, count = 2): Promise<void> {
  const target = site.requests.length + count
  while (site.requests.length < target) await later(10)
}

// X was live; A and B were both built against X (two pushes in a row). hero changed X -> A and stayed in
// B; logo changed X -> A and was reverted in B (so A -> B is logo alone); old went in A and B; new came in A and B.
export const X = { '/hero.png': 'a', '/logo.png': 'b', '/old.png': 'c' }
export const A = { '/hero.png': 'd', '/logo.png': 'e', '/new.png': 'f' }
export const B = { '/hero.png': 'd', '/logo.png': 'b', '/new.png': 'f' }

/** An API stand-in for project prj_1, deployments X, A and B (A and B built against X), and the env `apply` needs. */
export async function startFlipWorld(token: string, apiOptions: { projectName?: string; teamId?: string; teamSlug?: string } = {}) {
  const api = await startVercelApi({ token, projectId: 'prj_1', ...apiOptions })
  const world = await createDeployments(api)
  const x = await world.deploy('dpl_X', X)
  const a = await world.deploy('dpl_A', A, x)
  const b = await world.deploy('dpl_B', B, x)
  const env = { VERCEL_TOKEN: token, VERCEL_PROJECT_ID: 'prj_1', IMAGE_INVALIDATE_API_URL: api.origin }
  return { x, a, b, env, api, world }
}

/** Every source image the stand-in received, sorted. */
export const sentImages = (api: VercelApiStandIn) =>
  api
    .invalidations()
    .flatMap((call) => (call.body as { srcImages: string[] }).srcImages)
    .sort()

/**
 * `apply` with quick polls, and the lines it logged. With `when`, `then` runs (once) as soon as `line` is
 * logged, and `at` says when: a flip that must come after `apply` saw something, however slow the machine.
 */
export async function applyWithLog(options: ApplyOptions, when?: { line: string; then: () => void }) {
  const lines: string[] = []
  let at = Infinity
  const log = (line: string) => {
    lines.push(line)
    if (!when || line !== when.line || at < Infinity) return
    when.then()
    at = Date.now()
  }
  const report = await apply({ pollIntervalMs: 50, log, ...options })
  return { report, lines, at }
}

type FlipWorld = Awaited<ReturnType<typeof startFlipWorld>>

/**
 * A flip world per test: `setUp()` starts it, and it is closed after the test, the API stand-in last (its
 * `close()` rejects, failing the test, when it answered a body the real API could not send).
 */
export function useFlipWorld(token: string) {
  let current: FlipWorld | undefined
  afterEach(async () => {
    const closing = current
    current = undefined
    await closing?.world.close()
    await closing?.api.close()
  })
  return {
    async setUp(apiOptions: Parameters<typeof startFlipWorld>[1] = {}): Promise<FlipWorld> {
      current = await startFlipWorld(token, apiOptions)
      return current
    },
    /** The API stand-in of the world set up in this test. */
    api: (): VercelApiStandIn => current!.api,
  }
}
