import path from 'node:path'
import { failureOf, type Failure } from '../core/errors.js'
import type { Manifest } from '../core/manifest.js'
import { DEFAULT_PLAN_FILE } from '../shared/environment.js'
import { isUrl } from '../core/url.js'
import { loadManifest } from '../shared/load-manifest.js'
import { loadDeploymentManifest, manifestLoadCode, type ManifestAccess } from '../vercel/deployment-manifests.js'
import type { VercelClient } from '../vercel/client.js'
import type { WaitOptions } from './poll.js'
import { waitForReady } from './production-wait.js'

/** D, the deployment going live: its id when known, whether the caller named it, and its manifest. */
export interface Incoming {
  /** The deployment id, from `--deployment` or, on Vercel, the build's id (`VERCEL_DEPLOYMENT_ID`). */
  deploymentId: string | undefined
  /** Named by the caller (`--deployment`): production is then watched through the API. */
  named: boolean
  manifest: Manifest
  /** Where the manifest came from, for the report. */
  source: string
}

/**
 * D: the deployment named by `--deployment` (an id, or a URL the API resolves) and its manifest: `--plan`,
 * else the local plan file the build wrote (when it is D's, or no deployment was named), else the manifest
 * the named deployment serves.
 */
export async function findIncoming(
  input: { deployment?: string; plan?: string; root: string },
  access: ManifestAccess,
  wait: WaitOptions,
): Promise<Incoming | { problem: Failure }> {
  const named = deploymentNamed(input.deployment)
  const deploymentId = named && (await deploymentIdOf(named, access.client))
  if (deploymentId && typeof deploymentId !== 'string') return deploymentId
  const loaded = await loadIncomingManifest(input.plan, input.root, deploymentId, access, wait)
  if ('problem' in loaded) return loaded
  const ownId = access.client ? ownDeploymentId(loaded.manifest.buildId) : undefined
  return { deploymentId: deploymentId || ownId, named: Boolean(named), ...loaded }
}

/** The deployment `--deployment` names: an id, or the host of a deployment URL. */
export function deploymentNamed(deployment: string | undefined): string | undefined {
  return deployment?.replace(/^https?:\/\//, '').replace(/\/.*$/, '') || undefined
}

/** On Vercel a build's id is its deployment's id (VERCEL_DEPLOYMENT_ID); elsewhere it is none. */
export function ownDeploymentId(buildId: string): string | undefined {
  return /^dpl_/.test(buildId) ? buildId : undefined
}

/** A deployment id as it is, or the id of the deployment at a URL, looked up through the API. */
async function deploymentIdOf(named: string, client: VercelClient | undefined): Promise<string | { problem: Failure }> {
  if (/^dpl_/.test(named)) return named
  if (!client)
    return { problem: { code: 'IMAGE_INVALIDATE_NO_TOKEN', message: `--deployment ${named} is a URL: looking up its id needs VERCEL_TOKEN and the project` } }
  return (await client.getDeployment(named)).id
}

async function loadIncomingManifest(
  plan: string | undefined,
  root: string,
  deploymentId: string | undefined,
  access: ManifestAccess,
  wait: WaitOptions,
): Promise<{ manifest: Manifest; source: string } | { problem: Failure }> {
  const source = planSource(plan, root)
  const loaded = await loadManifest(source, { headers: access.headers, fresh: isUrl(source) })
  const otherBuild = loaded.kind !== 'found' || loaded.manifest.buildId !== deploymentId
  // The local plan is another build's (or there is none) and the API is not asked (a dry run without a token,
  // or whose API did not answer): D's manifest cannot be had, and the local plan is not D's.
  if (plan === undefined && deploymentId && !access.client && otherBuild) {
    const local = loaded.kind === 'found' ? `is ${loaded.manifest.buildId}'s` : 'is missing'
    // The API was either not asked (no token) or did not answer: the check of the deployment said which.
    const message = `the manifest of deployment ${deploymentId} is not known: its URL could not be had from the API, and the local plan ${source} ${local}; pass --plan FILE|URL, or make the deployment readable`
    return { problem: { code: 'IMAGE_INVALIDATE_MANIFEST_UNAVAILABLE', message } }
  }
  // The local plan is another build's (or there is none): the named deployment serves its own.
  if (plan === undefined && deploymentId && access.client && otherBuild) {
    // A deployment still being built serves no manifest yet; one that will never be ready says why.
    await waitForReady(access.client, deploymentId, wait)
    try {
      return { manifest: await loadDeploymentManifest(deploymentId, access), source: `deployment ${deploymentId}` }
    } catch (error) {
      const { code, message } = failureOf(error)
      return { problem: { code, message: `the manifest of deployment ${deploymentId} could not be read: ${message}` } }
    }
  }
  if (loaded.kind === 'missing') {
    const message = `no plan at ${source} (${loaded.reason}): run a production build first, or pass --plan or --deployment`
    return { problem: { code: 'IMAGE_INVALIDATE_NO_PLAN', message } }
  }
  if (loaded.kind !== 'found') return { problem: { code: manifestLoadCode(loaded.kind), message: `the plan ${source} ${loaded.reason}` } }
  return { manifest: loaded.manifest, source }
}

/** Where D's plan is read: `--plan` (a URL, or a file under the root), else the local plan file the build wrote. */
function planSource(plan: string | undefined, root: string): string {
  if (plan === undefined) return path.join(root, DEFAULT_PLAN_FILE)
  return isUrl(plan) ? plan : path.resolve(root, plan)
}
