import { existsSync } from 'node:fs'
import path from 'node:path'
import { deploymentManifestUrl, type Manifest } from './core/manifest.js'
import { loadManifest } from './manifest-source.js'
import { isUrl } from './options.js'
import type { VercelClient } from './vercel/client.js'

/** How the deployment that was live before the flip was found. */
export type PreviousVia =
  | '--from'
  | 'the production site before the flip'
  | 'lastAliasRequest'
  | 'production after the rolling release ended'
  | 'the build-time plan'

/** The deployment production served before the flip, and its manifest. */
export interface PreviousDeployment {
  via: PreviousVia
  manifest: Manifest
}

export interface ManifestFetch {
  headers: Record<string, string>
  basePath: string
  /** Needed to find a deployment's URL from its id. */
  client: VercelClient | undefined
}

/**
 * The manifest named by `--from`: a deployment id (`dpl_…`), a URL (a deployment or site origin, or the
 * manifest's own URL), or a file. Throws a sentence saying why it cannot be had.
 */
export async function loadNamedManifest(from: string, fetch: ManifestFetch, root: string): Promise<Manifest> {
  let source: string
  if (isUrl(from)) source = new URL(from).pathname.endsWith('.json') ? from : deploymentManifestUrl(new URL(from).origin, fetch.basePath)
  else if (!existsSync(path.resolve(root, from)) && /^dpl_[A-Za-z0-9]+$/.test(from)) return loadDeploymentManifest(from, fetch)
  else source = path.resolve(root, from)
  return loadOrThrow(source, fetch)
}

/** The manifest a deployment serves, found from its id through `GET /v13/deployments/{id}`. */
export async function loadDeploymentManifest(id: string, fetch: ManifestFetch): Promise<Manifest> {
  if (!fetch.client) throw new Error(`deployment ${id} cannot be looked up without a Vercel token and project`)
  const deployment = await fetch.client.getDeployment(id)
  if (!deployment.url) throw new Error(`Vercel gave no URL for deployment ${id}`)
  return loadOrThrow(deploymentManifestUrl(deployment.url, fetch.basePath), fetch)
}

async function loadOrThrow(source: string, fetch: ManifestFetch): Promise<Manifest> {
  const loaded = await loadManifest(source, { headers: fetch.headers, fresh: isUrl(source) })
  if (loaded.kind === 'found') return loaded.manifest
  const why = loaded.kind === 'missing' ? `has no manifest (${loaded.reason}; a deployment built before this plugin, or deleted)` : loaded.reason
  throw new Error(`${source} ${why}`)
}
